import { partitionForRegion, type Partition } from './partition';

/** An AWS Region as the user sees it in the region picker. */
export interface AwsRegion {
  readonly code: string;
  readonly name: string;
}

/** Every current AWS Region, commercial, China and GovCloud, in the console's order. */
export const AWS_REGIONS: readonly AwsRegion[] = [
  { code: 'us-east-1', name: 'US East (N. Virginia)' },
  { code: 'us-east-2', name: 'US East (Ohio)' },
  { code: 'us-west-1', name: 'US West (N. California)' },
  { code: 'us-west-2', name: 'US West (Oregon)' },
  { code: 'af-south-1', name: 'Africa (Cape Town)' },
  { code: 'ap-east-1', name: 'Asia Pacific (Hong Kong)' },
  { code: 'ap-east-2', name: 'Asia Pacific (Taipei)' },
  { code: 'ap-south-1', name: 'Asia Pacific (Mumbai)' },
  { code: 'ap-south-2', name: 'Asia Pacific (Hyderabad)' },
  { code: 'ap-southeast-1', name: 'Asia Pacific (Singapore)' },
  { code: 'ap-southeast-2', name: 'Asia Pacific (Sydney)' },
  { code: 'ap-southeast-3', name: 'Asia Pacific (Jakarta)' },
  { code: 'ap-southeast-4', name: 'Asia Pacific (Melbourne)' },
  { code: 'ap-southeast-5', name: 'Asia Pacific (Malaysia)' },
  { code: 'ap-southeast-6', name: 'Asia Pacific (New Zealand)' },
  { code: 'ap-southeast-7', name: 'Asia Pacific (Thailand)' },
  { code: 'ap-northeast-1', name: 'Asia Pacific (Tokyo)' },
  { code: 'ap-northeast-2', name: 'Asia Pacific (Seoul)' },
  { code: 'ap-northeast-3', name: 'Asia Pacific (Osaka)' },
  { code: 'ca-central-1', name: 'Canada (Central)' },
  { code: 'ca-west-1', name: 'Canada West (Calgary)' },
  { code: 'eu-central-1', name: 'Europe (Frankfurt)' },
  { code: 'eu-central-2', name: 'Europe (Zurich)' },
  { code: 'eu-west-1', name: 'Europe (Ireland)' },
  { code: 'eu-west-2', name: 'Europe (London)' },
  { code: 'eu-west-3', name: 'Europe (Paris)' },
  { code: 'eu-south-1', name: 'Europe (Milan)' },
  { code: 'eu-south-2', name: 'Europe (Spain)' },
  { code: 'eu-north-1', name: 'Europe (Stockholm)' },
  { code: 'il-central-1', name: 'Israel (Tel Aviv)' },
  { code: 'me-south-1', name: 'Middle East (Bahrain)' },
  { code: 'me-central-1', name: 'Middle East (UAE)' },
  { code: 'mx-central-1', name: 'Mexico (Central)' },
  { code: 'sa-east-1', name: 'South America (São Paulo)' },
  { code: 'cn-north-1', name: 'China (Beijing)' },
  { code: 'cn-northwest-1', name: 'China (Ningxia)' },
  { code: 'us-gov-east-1', name: 'AWS GovCloud (US-East)' },
  { code: 'us-gov-west-1', name: 'AWS GovCloud (US-West)' },
];

export const DEFAULT_REGION = 'us-east-1';

const byCode = new Map(AWS_REGIONS.map((region) => [region.code, region]));

/** True when `code` is one of the regions the picker offers. */
export function isKnownRegion(code: string): boolean {
  return byCode.has(code);
}

/** "Europe (Ireland) · eu-west-1" for a known code; the bare code otherwise. */
export function regionLabel(code: string): string {
  const region = byCode.get(code);
  return region ? `${region.name} · ${region.code}` : code;
}

/** The regions of the given partitions, in the picker's order. */
export function regionsIn(partitions: readonly Partition[]): AwsRegion[] {
  return AWS_REGIONS.filter((region) => partitions.includes(partitionForRegion(region.code)));
}
