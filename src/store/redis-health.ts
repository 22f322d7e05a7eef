import type { RedisClient } from './redis-client';
import type { StoreHealth } from './types';

/** PING, bounded by the client's command timeout; false rather than an error when Redis is away. */
export class RedisHealth implements StoreHealth {
  readonly kind = 'redis';

  constructor(private readonly redis: RedisClient) {}

  async ping(): Promise<boolean> {
    try {
      await this.redis.ping();
      return true;
    } catch {
      return false;
    }
  }
}
