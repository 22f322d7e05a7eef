import {
  MemoryDestinationStore,
  MemoryHealth,
  MemoryLockStore,
  MemorySessionStore,
} from './memory';
import type { RedisClient } from './redis-client';
import { RedisDestinationStore, type RedisDestinationStoreOptions } from './redis-destinations';
import { RedisHealth } from './redis-health';
import { RedisLockStore } from './redis-locks';
import { RedisSessionStore } from './redis-sessions';
import { MemoryAuditStore, RedisAuditStore, type AuditStore } from './audit';
import {
  MemoryCheckHistoryStore,
  RedisCheckHistoryStore,
  type CheckHistoryStore,
} from './check-history';
import {
  HOME_VIEWER_TTL_SECONDS,
  MemoryHomeViewerStore,
  RedisHomeViewerStore,
  type HomeViewerStore,
} from './home-viewers';
import type { DestinationStore, LockStore, SessionStore, StoreHealth } from './types';

export * from './types';
export * from './keys';
export * from './memory';
export * from './redis-client';
export { storeCommand } from './redis-errors';
export { challengeKeyBinding, type SecretStoreOptions } from './stored-values';
export * from './redis-sessions';
export * from './redis-destinations';
export * from './scan-keys';
export * from './redis-locks';
export * from './redis-health';
export * from './lock-watchdog';
export * from './audit';
export * from './check-history';
export * from './home-viewers';

/** Everything the app keeps, behind the interfaces both backends implement. */
export type Stores = {
  sessions: SessionStore;
  destinations: DestinationStore;
  locks: LockStore;
  audit: AuditStore;
  /** Each destination's latest checks, for the App Home's strip. */
  history: CheckHistoryStore;
  /** Who opened their App Home lately, whose view follows changes. */
  homeViewers: HomeViewerStore;
  health: StoreHealth;
};

/** Stores shared by every replica through one Redis client (which the caller owns and closes). */
export function createRedisStores(
  redis: RedisClient,
  ttlSeconds: number,
  options: RedisDestinationStoreOptions = {},
): Stores {
  return {
    sessions: new RedisSessionStore(redis, ttlSeconds, options),
    destinations: new RedisDestinationStore(redis, options),
    locks: new RedisLockStore(redis),
    audit: new RedisAuditStore(redis, options.onCorrupt),
    history: new RedisCheckHistoryStore(redis, options.onCorrupt),
    homeViewers: new RedisHomeViewerStore(redis, HOME_VIEWER_TTL_SECONDS),
    health: new RedisHealth(redis),
  };
}

/** Stores that live and die with this process: the embedded default without REDIS_URL. */
export function createMemoryStores(ttlSeconds: number): Stores {
  const locks = new MemoryLockStore();
  const history = new MemoryCheckHistoryStore();
  return {
    sessions: new MemorySessionStore(ttlSeconds),
    destinations: new MemoryDestinationStore(locks, history),
    locks,
    audit: new MemoryAuditStore(),
    history,
    homeViewers: new MemoryHomeViewerStore(HOME_VIEWER_TTL_SECONDS),
    health: new MemoryHealth(),
  };
}
