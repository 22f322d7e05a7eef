import { createRedisStores, type Stores } from '../../src/store';
import { S3Verifier } from '../../src/verify/verifier';
import { testRedis, type TestRedis } from './redis';
import { localVerifier, startLocalS3, type LocalS3 } from './s3-local';
import { startTestApp, type TestApp, type TestAppOptions } from './test-app';

/** What an end-to-end file needs: its own Redis prefix, a local S3 server, the app over both. */
export interface LocalParts {
  readonly redis: TestRedis;
  /** Stores over the same Redis, for seeding and reading back what the app wrote. */
  readonly seeded: Stores;
  readonly s3: LocalS3;
  /** The real app over this Redis, verifying against the local S3 server. */
  startApp(options?: TestAppOptions): Promise<TestApp>;
  stop(): Promise<void>;
}

export async function startLocalParts(): Promise<LocalParts> {
  const redis = await testRedis();
  const s3 = await startLocalS3();
  const { clients } = localVerifier(s3.endpoint, 5000);
  return {
    redis,
    seeded: createRedisStores(redis.client, 3600),
    s3,
    startApp: (options = {}) =>
      startTestApp({
        stores: createRedisStores(redis.client, 3600),
        verifier: new S3Verifier(clients, { timeoutMs: 5000 }),
        ...options,
      }),
    async stop() {
      clients.destroy();
      await s3.stop();
      await redis.cleanup();
    },
  };
}
