import {
  MemorySessionIndex,
  RedisSessionIndex,
  sessionByKey,
  type SessionIndex,
} from '../../src/store/session-index';
import { StoreUnavailableError } from '../../src/errors';
import { createRedisClient } from '../../src/store';
import { useTestRedis } from '../support/redis';

const redis = useTestRedis();

describe.each([
  ['in Redis', () => new RedisSessionIndex(redis.client, 60)],
  ['in memory', () => new MemorySessionIndex(60)],
])('the session index %s', (_where, create: () => SessionIndex) => {
  it("answers a user's latest setup of a bucket", async () => {
    const index = create();

    await index.remember('T1', 'U1', 'bucket-a', 'session-1');
    await index.remember('T1', 'U1', 'bucket-a', 'session-2');

    expect(await index.latest('T1', 'U1', 'bucket-a')).toBe('session-2');
  });

  it('keeps users, buckets and teams apart', async () => {
    const index = create();

    await index.remember('T1', 'U1', 'bucket-a', 'session-1');

    expect(await index.latest('T1', 'U2', 'bucket-a')).toBeUndefined();
    expect(await index.latest('T1', 'U1', 'bucket-b')).toBeUndefined();
    expect(await index.latest('T2', 'U1', 'bucket-a')).toBeUndefined();
  });
});

describe('the session index in Redis', () => {
  it('keeps one key per user and bucket, in the team’s slot, expiring with the session', async () => {
    await new RedisSessionIndex(redis.client, 60).remember('T1', 'U1', 'bucket-a', 'session-1');

    expect(await redis.keys()).toEqual(['s3d:{T1}:session-by:U1:bucket-a']);
    expect(sessionByKey('T1', 'U1', 'bucket-a')).toBe('s3d:{T1}:session-by:U1:bucket-a');
    const ttl = await redis.client.ttl(sessionByKey('T1', 'U1', 'bucket-a'));
    expect(ttl).toBeGreaterThan(55);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('says the store is unavailable when Redis does not answer', async () => {
    const down = createRedisClient('redis://127.0.0.1:1', { commandTimeoutMs: 200 });
    down.on('error', () => undefined);
    try {
      const index = new RedisSessionIndex(down, 60);

      await expect(index.latest('T1', 'U1', 'bucket-a')).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
    } finally {
      down.disconnect();
    }
  });
});

describe('the session index in memory', () => {
  it('forgets a setup once its session would have expired', async () => {
    let now = 0;
    const index = new MemorySessionIndex(60, () => now);
    await index.remember('T1', 'U1', 'bucket-a', 'session-1');

    now = 59_999;
    expect(await index.latest('T1', 'U1', 'bucket-a')).toBe('session-1');
    now = 60_000;
    expect(await index.latest('T1', 'U1', 'bucket-a')).toBeUndefined();
  });
});
