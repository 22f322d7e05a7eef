import { fromIni } from '@aws-sdk/credential-providers';
import { PROFILE_VARIABLES, type Config } from './config';
import { PARTITIONS, type Partition } from './domain/partition';

/** The named profile whose credentials check a partition's buckets, if one is set. */
export function profileOf(config: Config, partition: Partition): string | undefined {
  return partition === 'aws' ? undefined : config[PROFILE_VARIABLES[partition]];
}

/** Each partition's credentials: its named profile when one is set, else the default chain. */
export function partitionCredentials(
  config: Config,
): Partial<Record<Partition, ReturnType<typeof fromIni>>> {
  return Object.fromEntries(
    PARTITIONS.flatMap((partition) => {
      const profile = profileOf(config, partition);
      return profile ? [[partition, fromIni({ profile })]] : [];
    }),
  );
}
