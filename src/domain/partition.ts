/** The AWS partitions a region can belong to; ARNs differ between them, and they are isolated. */
export type Partition = 'aws' | 'aws-cn' | 'aws-us-gov';

/** Every partition, in the order the region picker lists their regions. */
export const PARTITIONS: readonly Partition[] = ['aws', 'aws-cn', 'aws-us-gov'];

/** What a user calls each partition. */
export const PARTITION_NAMES: Readonly<Record<Partition, string>> = {
  aws: 'AWS',
  'aws-cn': 'AWS China',
  'aws-us-gov': 'AWS GovCloud (US)',
};

// Each partition has a console of its own; a commercial console link cannot open a China bucket.
const CONSOLE_ORIGINS: Readonly<Record<Partition, string>> = {
  aws: 'https://console.aws.amazon.com',
  'aws-cn': 'https://console.amazonaws.cn',
  'aws-us-gov': 'https://console.amazonaws-us-gov.com',
};

// A region that every account of the partition can use, for calls that need one (STS).
const HOME_REGIONS: Readonly<Record<Partition, string>> = {
  aws: 'us-east-1',
  'aws-cn': 'cn-north-1',
  'aws-us-gov': 'us-gov-west-1',
};

/** The partition whose ARNs a region uses: `cn-*` → aws-cn, `us-gov-*` → aws-us-gov, else aws. */
export function partitionForRegion(region: string): Partition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The AWS console's origin for a region's partition, e.g. `https://console.amazonaws.cn`. */
export function consoleOrigin(region: string): string {
  return CONSOLE_ORIGINS[partitionForRegion(region)];
}

/** `preferred` when it is in `partition`, otherwise the partition's home region. */
export function regionInPartition(partition: Partition, preferred: string): string {
  return partitionForRegion(preferred) === partition ? preferred : HOME_REGIONS[partition];
}
