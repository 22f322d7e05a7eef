import { randomUUID } from 'node:crypto';
import type { MemoryCheckHistoryStore } from './check-history';
import { assertTeamId, sessionKey } from './keys';
import { newStamp } from './stamp';
import type {
  ChangeStamp,
  CheckRecord,
  DestinationDraft,
  DestinationStore,
  Fence,
  RecordResult,
  RemoveOutcome,
  SaveOutcome,
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

/** Saved destinations in a map of teams to maps of buckets; every change happens in one step. */
export class MemoryDestinationStore implements DestinationStore {
  private readonly byTeam = new Map<string, Map<string, SavedDestination>>();
  private readonly versions = new Map<string, number>();

  /**
   * `locks` answers the fences of `save`; without one, a fenced save is always refused. A record
   * of a check adds it to `history` in the same step.
   */
  constructor(
    private readonly locks?: MemoryLockStore,
    private readonly history?: MemoryCheckHistoryStore,
  ) {}

  async save(draft: DestinationDraft, fence?: Fence, stamp?: ChangeStamp): Promise<SaveOutcome> {
    assertTeamId(draft.teamId);
    if (fence && !this.locks?.holds(fence.lockKey, fence.token)) return { status: 'fenced' };
    let buckets = this.byTeam.get(draft.teamId);
    if (!buckets) {
      buckets = new Map();
      this.byTeam.set(draft.teamId, buckets);
    }
    const version = (this.versions.get(draft.teamId) ?? 0) + 1;
    this.versions.set(draft.teamId, version);
    const destination: SavedDestination = { ...structuredClone(draft), version };
    const previous = buckets.get(draft.settings.bucket);
    buckets.set(draft.settings.bucket, destination);
    const type = previous ? 'destination.updated' : 'destination.connected';
    return {
      status: 'saved',
      destination: structuredClone(destination),
      change: { type, ...(stamp ?? newStamp()) },
      ...(previous ? { previous: structuredClone(previous) } : {}),
    };
  }

  async record(
    teamId: string,
    bucket: string,
    version: number,
    record: CheckRecord,
    stamp?: ChangeStamp,
  ): Promise<RecordResult> {
    assertTeamId(teamId);
    const current = this.byTeam.get(teamId)?.get(bucket);
    if (!current) return { outcome: 'removed' };
    if (current.version !== version) return { outcome: 'changed' };
    if (record.lastCheck && current.lastCheck.at > record.lastCheck.at) return { outcome: 'stale' };
    const updated: Record<string, unknown> = { ...current };
    for (const [field, value] of Object.entries(structuredClone(record))) {
      if (value === null) delete updated[field];
      else updated[field] = value;
    }
    const recorded = updated as SavedDestination;
    this.byTeam.get(teamId)?.set(bucket, recorded);
    if (record.lastCheck) {
      const { at, ok } = record.lastCheck;
      await this.history?.append(teamId, bucket, { at, ok });
    }
    if (recorded.lastCheck.ok === current.lastCheck.ok) return { outcome: 'recorded' };
    const type = recorded.lastCheck.ok ? 'destination.recovered' : 'destination.failing';
    return { outcome: 'recorded', change: { type, ...(stamp ?? newStamp()) } };
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

  async count(teamId: string): Promise<number> {
    assertTeamId(teamId);
    return this.byTeam.get(teamId)?.size ?? 0;
  }

  async remove(teamId: string, bucket: string, stamp?: ChangeStamp): Promise<RemoveOutcome> {
    assertTeamId(teamId);
    const buckets = this.byTeam.get(teamId);
    const previous = buckets?.get(bucket);
    buckets?.delete(bucket);
    if (buckets?.size === 0) this.byTeam.delete(teamId);
    if (!previous) return { removed: false };
    return {
      removed: true,
      previous,
      change: { type: 'destination.removed', ...(stamp ?? newStamp()) },
    };
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

  async extend(key: string, token: string, ttlMs: number): Promise<boolean> {
    if (!this.holds(key, token)) return false;
    this.locks.set(key, { value: token, expiresAt: this.now() + ttlMs });
    return true;
  }

  /** Whether `token` holds the lock now (not expired). */
  holds(key: string, token: string): boolean {
    const held = this.locks.get(key);
    return held !== undefined && held.value === token && held.expiresAt > this.now();
  }
}

/** The embedded store is always there. */
export class MemoryHealth implements StoreHealth {
  readonly kind = 'memory';

  async ping(): Promise<boolean> {
    return true;
  }
}
