import type { Redis } from 'ioredis';
import { StoreUnavailableError } from '../../src/errors';
import {
  createRedisClient,
  createRedisStores,
  verifyLockKey,
  waitForRedis,
  type Stores,
} from '../../src/store';
import { startRedisProxy, type RedisProxy } from '../support/redis';
import { savedDestination, setupSession } from '../support/fixtures';

// Nothing listens on port 1, so every connection attempt is refused at once.
const NOWHERE = 'redis://127.0.0.1:1';

// Not events.once: that rejects on an 'error' event, and errors are what these clients meet.
function nextReconnect(redis: Redis): Promise<void> {
  return new Promise((resolve) => redis.once('reconnecting', () => resolve()));
}

describe('Redis stores when Redis is unreachable', () => {
  let redis: Redis;
  let stores: Stores;
  const errors: Error[] = [];

  beforeAll(async () => {
    redis = createRedisClient(NOWHERE, { onError: (error) => errors.push(error) });
    stores = createRedisStores(redis, 3600);
    await nextReconnect(redis);
  });
  afterAll(() => {
    redis.disconnect();
  });

  it.each([
    ['put a session', (s: Stores) => s.sessions.put(setupSession())],
    ['get a session', (s: Stores) => s.sessions.get('T1', 'S1')],
    ['delete a session', (s: Stores) => s.sessions.delete('T1', 'S1')],
    ['save a destination', (s: Stores) => s.destinations.save(savedDestination())],
    ['get a destination', (s: Stores) => s.destinations.get('T1', 'acme-data-lake')],
    ['list destinations', (s: Stores) => s.destinations.list('T1')],
    ['remove a destination', (s: Stores) => s.destinations.remove('T1', 'acme-data-lake')],
    ['list teams', (s: Stores) => s.destinations.teams()],
    ['acquire a lock', (s: Stores) => s.locks.acquire(verifyLockKey('T1', 'S1'), 1000)],
    ['release a lock', (s: Stores) => s.locks.release(verifyLockKey('T1', 'S1'), 'token')],
  ])('fails to %s at once with StoreUnavailableError', async (_what, operation) => {
    const started = Date.now();

    const error: unknown = await operation(stores).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).code).toBe('store_unavailable');
    expect((error as StoreUnavailableError).cause).toBeInstanceOf(Error);
    // No offline queue: the command is refused, not parked until a timeout.
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('answers the health ping with false, not an error', async () => {
    expect(await stores.health.ping()).toBe(false);
  });

  it('tells onError about the outage once, not on every reconnect attempt', async () => {
    await nextReconnect(redis);
    await nextReconnect(redis);

    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('survives connection errors without an onError callback', async () => {
    const bare = createRedisClient(NOWHERE);
    try {
      // A second reconnect means the first failure was handled, not thrown as an 'error' event.
      await nextReconnect(bare);
      await nextReconnect(bare);

      expect(bare.status).not.toBe('end');
    } finally {
      bare.disconnect();
    }
  });

  it('gives up waiting for readiness with StoreUnavailableError', async () => {
    await expect(waitForRedis(redis, 50)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('takes TLS from a rediss:// URL', () => {
    const tls = createRedisClient('rediss://127.0.0.1:1');
    try {
      expect(tls.options.tls).toBeDefined();
    } finally {
      tls.disconnect();
    }
  });
});

describe('Redis stores when Redis stalls or goes away and comes back', () => {
  let proxy: RedisProxy;
  let redis: Redis;
  let stores: Stores;

  beforeEach(async () => {
    proxy = await startRedisProxy();
    redis = createRedisClient(proxy.url, { commandTimeoutMs: 200 });
    await waitForRedis(redis, 5000);
    stores = createRedisStores(redis, 3600);
  });
  afterEach(async () => {
    redis.disconnect();
    await proxy.close();
  });

  it('fails a command Redis does not answer with StoreUnavailableError after the command timeout', async () => {
    proxy.freeze();

    const error: unknown = await stores.sessions.get('T1', 'S1').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).cause).toMatchObject({ message: 'Command timed out' });
    expect(await stores.health.ping()).toBe(false);
    proxy.thaw();
    expect(await stores.health.ping()).toBe(true);
  });

  it('recovers by itself once Redis is back', async () => {
    await proxy.stop();
    await expect(stores.sessions.get('T1', 'S1')).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await stores.health.ping()).toBe(false);

    await proxy.start();
    await waitForRedis(redis, 5000);

    expect(await stores.health.ping()).toBe(true);
    expect(await stores.sessions.get('T1', 'missing')).toBeUndefined();
  });
});
