import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis-client';
import { LuaScript } from './lua-script';
import { storeCommand } from './redis-errors';
import type { LockStore } from './types';

/** Deletes the lock only if it still holds the caller's token, atomically. */
const RELEASE_LOCK_SCRIPT = new LuaScript(`
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
`);

/** Renews the lock's TTL only if it still holds the caller's token, atomically. */
const EXTEND_LOCK_SCRIPT = new LuaScript(`
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
`);

/** `SET key token NX PX ttl` locks, released by compare-and-delete. */
export class RedisLockStore implements LockStore {
  constructor(private readonly redis: RedisClient) {}

  async acquire(key: string, ttlMs: number): Promise<string | undefined> {
    const token = randomUUID();
    const reply = await storeCommand(key, () => this.redis.set(key, token, 'PX', ttlMs, 'NX'));
    return reply === 'OK' ? token : undefined;
  }

  async release(key: string, token: string): Promise<void> {
    await storeCommand(key, () => RELEASE_LOCK_SCRIPT.run(this.redis, [key], [token]));
  }

  async extend(key: string, token: string, ttlMs: number): Promise<boolean> {
    const reply = await storeCommand(key, () =>
      EXTEND_LOCK_SCRIPT.run(this.redis, [key], [token, ttlMs]),
    );
    return reply === 1;
  }
}
