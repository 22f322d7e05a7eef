import { randomUUID } from 'node:crypto';
import { assertTeamId, sessionKey } from './keys';
import type {
  DestinationStore,
  LockStore,
  SavedDestination,
  SessionStore,
  SetupSession,
  StoreHealth,
} from './types';

/** A clock in epoch milliseconds; tests inject their own. */
export type Clock = () => number;

interface Expiring<T> {
  readonly value: T;
  readonly expiresAt: number;
}

/** Setup sessions in a map, gone once `ttlSeconds` have passed on `now`. */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, Expiring<SetupSession>>();

  constructor(
    private readonly ttlSeconds: number,
    private readonly now: Clock = Date.now,
  ) {}

  async put(session: SetupSession): Promise<void> {
    this.forgetExpired();
    this.sessions.set(sessionKey(session.teamId, session.id), {
      value: structuredClone(session),
      expiresAt: this.now() + this.ttlSeconds * 1000,
    });
  }

  async get(teamId: string, id: string): Promise<SetupSession | undefined> {
    const key = sessionKey(teamId, id);
    const entry = this.sessions.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return structuredClone(entry.value);
  }

  async delete(teamId: string, id: string): Promise<void> {
    this.sessions.delete(sessionKey(teamId, id));
  }

  /** Sessions nobody reads again would otherwise stay for the life of the process. */
  private forgetExpired(): void {
    const now = this.now();
    for (const [key, entry] of this.sessions) {
      if (entry.expiresAt <= now) this.sessions.delete(key);
    }
  }
}

// Code-unit order, as Array.prototype.sort orders the Redis store's bucket names; a team's buckets are unique.
function byBucket(a: SavedDestination, b: SavedDestination): number {
  return a.settings.bucket < b.settings.bucket ? -1 : 1;
}

/** Saved destinations in a map of teams to maps of buckets. */
export class MemoryDestinationStore implements DestinationStore {
  private readonly byTeam = new Map<string, Map<string, SavedDestination>>();

  async save(destination: SavedDestination): Promise<void> {
    assertTeamId(destination.teamId);
    let buckets = this.byTeam.get(destination.teamId);
    if (!buckets) {
      buckets = new Map();
      this.byTeam.set(destination.teamId, buckets);
    }
    buckets.set(destination.settings.bucket, structuredClone(destination));
  }

  async get(teamId: string, bucket: string): Promise<SavedDestination | undefined> {
    assertTeamId(teamId);
    const destination = this.byTeam.get(teamId)?.get(bucket);
    return destination && structuredClone(destination);
  }

  async list(teamId: string): Promise<SavedDestination[]> {
    assertTeamId(teamId);
    const buckets = this.byTeam.get(teamId);
    if (!buckets) return [];
    return [...buckets.values()].sort(byBucket).map((destination) => structuredClone(destination));
  }

  async remove(teamId: string, bucket: string): Promise<boolean> {
    assertTeamId(teamId);
    const buckets = this.byTeam.get(teamId);
    const removed = buckets?.delete(bucket) ?? false;
    if (buckets?.size === 0) this.byTeam.delete(teamId);
    return removed;
  }

  async teams(): Promise<string[]> {
    return [...this.byTeam.keys()].sort();
  }
}

/** Locks in a map; an expired lock counts as free. */
export class MemoryLockStore implements LockStore {
  private readonly locks = new Map<string, Expiring<string>>();

  constructor(private readonly now: Clock = Date.now) {}

  async acquire(key: string, ttlMs: number): Promise<string | undefined> {
    const held = this.locks.get(key);
    if (held && held.expiresAt > this.now()) return undefined;
    const token = randomUUID();
    this.locks.set(key, { value: token, expiresAt: this.now() + ttlMs });
    return token;
  }

  async release(key: string, token: string): Promise<void> {
    if (this.locks.get(key)?.value === token) this.locks.delete(key);
  }
}

/** The embedded store is always there. */
export class MemoryHealth implements StoreHealth {
  readonly kind = 'memory';

  async ping(): Promise<boolean> {
    return true;
  }
}
