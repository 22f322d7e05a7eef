import type { BenchEnvironment } from './environment';
import { meanMemoryUsage, memoryUsage, scanKeys } from './redis-figures';
import { SUBMITTED_BUCKET } from './scenarios';

const SAMPLE = 200;

export interface RedisFootprint {
  /** Mean MEMORY USAGE of the session keys the app wrote for valid submits. */
  readonly bytesPerSession?: number;
  readonly sessionsMeasured: number;
  /** Per destination the app saved: its value, plus its share of the team's set of buckets. */
  readonly bytesPerDestination?: number;
  readonly destinationsMeasured: number;
}

/** What the app's own writes cost in Redis, from the keys the load left under the run's prefix. */
export async function measureFootprint(env: BenchEnvironment): Promise<RedisFootprint> {
  const { admin, keyPrefix } = env;
  // Sessions seeded for Check and Save are the benchmark's; keep only those the submits created.
  const sessionKeys: string[] = [];
  for (const key of await scanKeys(admin, `${keyPrefix}s3d:*:session:*`)) {
    if (sessionKeys.length >= SAMPLE) break;
    const raw = await admin.get(key);
    if (
      raw &&
      (JSON.parse(raw) as { settings?: { bucket?: string } }).settings?.bucket === SUBMITTED_BUCKET
    ) {
      sessionKeys.push(key);
    }
  }
  const destinationKeys = await scanKeys(admin, `${keyPrefix}s3d:*:destination:*`);
  const setKeys = await scanKeys(admin, `${keyPrefix}s3d:*:destinations`);
  let bytesPerDestination: number | undefined;
  if (destinationKeys.length > 0) {
    let total = 0;
    for (const key of [...destinationKeys, ...setKeys]) {
      total += await memoryUsage(admin, key);
    }
    bytesPerDestination = total / destinationKeys.length;
  }
  return {
    bytesPerSession: await meanMemoryUsage(admin, sessionKeys, SAMPLE),
    sessionsMeasured: sessionKeys.length,
    bytesPerDestination,
    destinationsMeasured: destinationKeys.length,
  };
}
