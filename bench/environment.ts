import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedisClient, createRedisStores, waitForRedis, type Stores } from '../src/store';
import { Keyring } from '../src/store/secrets';
import { startLocalS3, type LocalS3 } from '../test/support/s3-local';
import { startSlackStandIn, type SlackStandIn } from '../test/support/slack-stand-in';
import { deleteKeys } from './redis-figures';
import { BENCH_ENCRYPTION_KEY } from './target-protocol';

/** The real parts the targets talk to, shared by every run, and what the benchmark left behind. */
export interface BenchEnvironment {
  readonly redisUrl: string;
  /** Every key of this run starts with it: `bench:<random>:`. */
  readonly keyPrefix: string;
  /** Lowercase and short, so bucket names made from it stay valid. */
  readonly bucketTag: string;
  /** No key prefix: for SCAN, MEMORY USAGE and cleanup on full key names. */
  readonly admin: Redis;
  /** The app's own stores on the run's prefix, for seeding. */
  readonly stores: Stores;
  /** The same, sealing challenge names with the OAuth target's key, as OAuth mode stores them. */
  readonly sealedStores: Stores;
  readonly s3: LocalS3;
  readonly slack: SlackStandIn;
  /** Stops every server and client and deletes this run's keys; returns how many keys. Once. */
  close(): Promise<number>;
}

export async function startEnvironment(redisUrl: string): Promise<BenchEnvironment> {
  const tag = randomBytes(4).toString('hex');
  const keyPrefix = `bench:${tag}:`;
  const admin = createRedisClient(redisUrl);
  const prefixed = createRedisClient(redisUrl, { keyPrefix });
  const closers: (() => Promise<unknown>)[] = [
    () => prefixed.quit().catch(() => prefixed.disconnect()),
    () => admin.quit().catch(() => admin.disconnect()),
  ];
  const closeAll = async () => {
    for (const close of closers.splice(0)) await close().catch(() => undefined);
  };
  try {
    await Promise.all([waitForRedis(admin, 5000), waitForRedis(prefixed, 5000)]);
  } catch (error) {
    await closeAll();
    throw new Error(`No Redis at ${redisUrl}: start one or set REDIS_URL`, { cause: error });
  }
  try {
    const slack = await startSlackStandIn({ record: false });
    closers.unshift(() => slack.close());
    const s3 = await startLocalS3();
    closers.unshift(() => s3.stop());
    let closed: Promise<number> | undefined;
    const close = async () => {
      try {
        return await deleteKeys(admin, keyPrefix);
      } finally {
        await closeAll();
      }
    };
    return {
      redisUrl,
      keyPrefix,
      bucketTag: `bench-${tag}`,
      admin,
      stores: createRedisStores(prefixed, 86400),
      sealedStores: createRedisStores(prefixed, 86400, {
        keyring: Keyring.fromKeys(BENCH_ENCRYPTION_KEY),
      }),
      s3,
      slack,
      close() {
        closed ??= close();
        return closed;
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
