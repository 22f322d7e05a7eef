import { StoreUnavailableError } from '../errors';
import { sessionByKey } from './keys';
import type { RedisClient } from './redis-client';
import type { Clock } from './memory';

export { sessionByKey };

/**
 * Which setup session each user started last for each bucket, for as long as sessions live, so
 * that `policy <bucket>` finds the caller's open setup without scanning sessions (which are keyed
 * by id alone).
 */
export interface SessionIndex {
  /** Remembers `sessionId` as the latest setup of `bucket` by `userId`. */
  remember(teamId: string, userId: string, bucket: string, sessionId: string): Promise<void>;
  /** The id of the latest setup of `bucket` by `userId`, until it would have expired. */
  latest(teamId: string, userId: string, bucket: string): Promise<string | undefined>;
}

/** The index in Redis: one string per user and bucket, expiring with the session it names. */
export class RedisSessionIndex implements SessionIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds: number,
  ) {}

  async remember(teamId: string, userId: string, bucket: string, sessionId: string) {
    const key = sessionByKey(teamId, userId, bucket);
    await unavailableOnError(() => this.redis.set(key, sessionId, 'EX', this.ttlSeconds));
  }

  async latest(teamId: string, userId: string, bucket: string) {
    const key = sessionByKey(teamId, userId, bucket);
    return (await unavailableOnError(() => this.redis.get(key))) ?? undefined;
  }
}

async function unavailableOnError<T>(command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    throw new StoreUnavailableError(error);
  }
}

/** The index in a map, beside the in-memory session store. */
export class MemorySessionIndex implements SessionIndex {
  private readonly latestIds = new Map<string, { id: string; expiresAt: number }>();

  constructor(
    private readonly ttlSeconds: number,
    private readonly now: Clock = Date.now,
  ) {}

  async remember(teamId: string, userId: string, bucket: string, sessionId: string) {
    const now = this.now();
    // Entries nobody reads again would otherwise stay for the life of the process.
    for (const [key, entry] of this.latestIds) {
      if (entry.expiresAt <= now) this.latestIds.delete(key);
    }
    this.latestIds.set(sessionByKey(teamId, userId, bucket), {
      id: sessionId,
      expiresAt: now + this.ttlSeconds * 1000,
    });
  }

  async latest(teamId: string, userId: string, bucket: string) {
    const entry = this.latestIds.get(sessionByKey(teamId, userId, bucket));
    return entry && entry.expiresAt > this.now() ? entry.id : undefined;
  }
}
