import { sessionKey } from './keys';
import type { RedisClient } from './redis-client';
import { storeCommand } from './redis-errors';
import { parseWithChallengeKey, sealChallengeKey, type SecretStoreOptions } from './stored-values';
import type { Keyring } from './secrets';
import { setupSessionSchema, type SessionStore, type SetupSession } from './types';

/** Setup sessions as JSON strings that Redis expires after `ttlSeconds`. */
export class RedisSessionStore implements SessionStore {
  private readonly keyring: Keyring | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds: number,
    options: SecretStoreOptions = {},
  ) {
    this.keyring = options.keyring;
  }

  async put(session: SetupSession): Promise<void> {
    const key = sessionKey(session.teamId, session.id);
    const stored = JSON.stringify(sealChallengeKey(session, this.keyring, key));
    await storeCommand(key, () => this.redis.set(key, stored, 'EX', this.ttlSeconds));
  }

  async get(teamId: string, id: string): Promise<SetupSession | undefined> {
    const key = sessionKey(teamId, id);
    const raw = await storeCommand(key, () => this.redis.get(key));
    return raw === null
      ? undefined
      : parseWithChallengeKey(key, raw, setupSessionSchema, this.keyring);
  }

  async delete(teamId: string, id: string): Promise<void> {
    const key = sessionKey(teamId, id);
    await storeCommand(key, () => this.redis.del(key));
  }
}
