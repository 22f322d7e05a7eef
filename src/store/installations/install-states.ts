import { oauthStateKey } from '../keys';
import type { RedisClient } from '../redis-client';
import { storeCommand } from '../redis-errors';
import type { UsedInstallStates } from './types';

/** `s3d:oauth-state:<id>`: an install state already used, kept until it would have expired. */
export class RedisUsedInstallStates implements UsedInstallStates {
  constructor(private readonly redis: RedisClient) {}

  async wasUsed(stateId: string): Promise<boolean> {
    const key = oauthStateKey(stateId);
    return (await storeCommand(key, () => this.redis.exists(key))) > 0;
  }

  async markUsed(stateId: string, ttlSeconds: number): Promise<boolean> {
    const key = oauthStateKey(stateId);
    const marked = await storeCommand(key, () => this.redis.set(key, '1', 'EX', ttlSeconds, 'NX'));
    return marked !== null;
  }
}
