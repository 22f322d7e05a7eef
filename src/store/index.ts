import {
  MemoryDestinationStore,
  MemoryHealth,
  MemoryLockStore,
  MemorySessionStore,
} from './memory';
import {
  RedisDestinationStore,
  RedisHealth,
  RedisLockStore,
  RedisSessionStore,
  type RedisClient,
  type RedisDestinationStoreOptions,
} from './redis';
import type { DestinationStore, LockStore, SessionStore, StoreHealth } from './types';

export * from './types';
export * from './keys';
export * from './memory';
export * from './redis';

/** Everything the app keeps, behind the interfaces both backends implement. */
export type Stores = {
  sessions: SessionStore;
  destinations: DestinationStore;
  locks: LockStore;
  health: StoreHealth;
};

/** Stores shared by every replica through one Redis client (which the caller owns and closes). */
export function createRedisStores(
  redis: RedisClient,
  ttlSeconds: number,
  options: RedisDestinationStoreOptions = {},
): Stores {
  return {
    sessions: new RedisSessionStore(redis, ttlSeconds),
    destinations: new RedisDestinationStore(redis, options),
    locks: new RedisLockStore(redis),
    health: new RedisHealth(redis),
  };
}

/** Stores that live and die with this process: the embedded default without REDIS_URL. */
export function createMemoryStores(ttlSeconds: number): Stores {
  return {
    sessions: new MemorySessionStore(ttlSeconds),
    destinations: new MemoryDestinationStore(),
    locks: new MemoryLockStore(),
    health: new MemoryHealth(),
  };
}
