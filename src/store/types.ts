import { z } from 'zod';
import { destinationSettingsSchema } from '../domain/destination';

/** A setup in progress: created on a valid modal submit, consumed by Check and Save. */
export const setupSessionSchema = z.object({
  id: z.string().min(1),
  teamId: z.string().min(1),
  userId: z.string().min(1),
  channelId: z.string().min(1),
  responseUrl: z.string().url().optional(),
  settings: destinationSettingsSchema,
  challengeKey: z.string().min(1),
  createdAt: z.string(),
  /** Set once Check and Save has saved the destination, so a second click does not save again. */
  savedAt: z.string().optional(),
});
export type SetupSession = z.infer<typeof setupSessionSchema>;

/** The outcome of the latest verification of a saved destination. */
export const lastCheckSchema = z.object({
  at: z.string(),
  ok: z.boolean(),
  summary: z.string(),
});
export type LastCheck = z.infer<typeof lastCheckSchema>;

/** Where a destination's channel could not be posted to, and since when: the monitor then tells the connector. */
export const channelUnreachableSchema = z.object({
  since: z.string(),
  /** Slack's error code, e.g. `not_in_channel`, `is_archived`. */
  error: z.string(),
});
export type ChannelUnreachable = z.infer<typeof channelUnreachableSchema>;

/** A destination that passed Check and Save. */
export const savedDestinationSchema = z.object({
  teamId: z.string().min(1),
  /**
   * Which save this is: a new number (per team) on every setup saved, never reused, so a check
   * records its result only on the very save it checked. 0 for values saved before versions.
   */
  version: z.number().int().nonnegative().default(0),
  settings: destinationSettingsSchema,
  challengeKey: z.string().min(1),
  channelId: z.string().min(1),
  connectedBy: z.string().min(1),
  /** When this setup was saved; absent on values saved before it was recorded. */
  connectedAt: z.string().optional(),
  verifiedAt: z.string(),
  lastCheck: lastCheckSchema,
  /** The challenge file's owner when it was saved: another owner later means the bucket changed hands. */
  ownerId: z.string().optional(),
  /** When the monitor last compared the bucket's region (it cannot change while the bucket exists). */
  regionCheckedAt: z.string().optional(),
  /** Set while the channel cannot be posted to; the monitor then tells the connector directly. */
  channelUnreachable: channelUnreachableSchema.optional(),
  /** The last check changed the state but Slack failed to take the announcement: try it again. */
  unannounced: z.literal(true).optional(),
});
export type SavedDestination = z.infer<typeof savedDestinationSchema>;

/** A destination about to be saved: the store gives it its version. */
export type DestinationDraft = Omit<SavedDestination, 'version'> & { version?: number };

/** Proof that the caller still holds a lock: a save is refused once another holder has it. */
export interface Fence {
  readonly lockKey: string;
  readonly token: string;
}

/** What a change of a saved destination means to the loader; one event per change. */
export const CHANGE_TYPES = [
  'destination.connected',
  'destination.updated',
  'destination.failing',
  'destination.recovered',
  'destination.removed',
] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

/**
 * Who names a change event and when it happened: the change path passes its own clock's time; a
 * store given none stamps the change itself.
 */
export interface ChangeStamp {
  readonly id: string;
  readonly at: string;
}

/**
 * The change a store script made, decided by the script from the value it replaced. `sequence`
 * is the event's number among its destination's events (1, 2, 3… across its whole life), present
 * when the store keeps an outbox of change events: the event was appended in the same step.
 */
export interface StoredChange {
  readonly type: ChangeType;
  readonly id: string;
  readonly at: string;
  readonly sequence?: number;
}

export type SaveOutcome =
  | {
      readonly status: 'saved';
      readonly destination: SavedDestination;
      /** The destination this save replaced, if the bucket was connected already. */
      readonly previous?: SavedDestination;
      /** `destination.connected`, or `destination.updated` when it replaced one. */
      readonly change: StoredChange;
    }
  /** The fence's lock is no longer the caller's: nothing was written. */
  | { readonly status: 'fenced' };

/** What a check may change on the destination it checked; `null` clears a field. */
export interface CheckRecord {
  readonly lastCheck?: LastCheck;
  readonly verifiedAt?: string;
  readonly ownerId?: string;
  readonly regionCheckedAt?: string;
  readonly channelUnreachable?: ChannelUnreachable | null;
  readonly unannounced?: true | null;
}

/**
 * `recorded`; `removed` (the destination is gone); `changed` (set up again since: another version);
 * `stale` (a check that started later has already recorded its result).
 */
export type RecordOutcome = 'recorded' | 'removed' | 'changed' | 'stale';

/** How a record ended, and the change it made when the last check went from passing to failing or back. */
export interface RecordResult {
  readonly outcome: RecordOutcome;
  /** `destination.failing` or `destination.recovered`; none when the state did not flip. */
  readonly change?: StoredChange;
}

export interface RemoveOutcome {
  readonly removed: boolean;
  /** What was removed, when its value could be read. */
  readonly previous?: SavedDestination;
  /** `destination.removed`, when this call removed it. */
  readonly change?: StoredChange;
}

/** Setup sessions, expiring after the store's TTL. */
export interface SessionStore {
  put(session: SetupSession): Promise<void>;
  get(teamId: string, id: string): Promise<SetupSession | undefined>;
  delete(teamId: string, id: string): Promise<void>;
}

/**
 * Saved destinations, one per team and bucket. Every change is atomic, and a check's record is a
 * compare-and-set on the version it checked, so state never goes backwards. Each change decides
 * its change event from the value it replaces, and a store with an outbox appends that event in
 * the same atomic step: no change without its event, no event without its change.
 */
export interface DestinationStore {
  /**
   * Saves (or replaces) the destination under a new version, in one step with the team's set of
   * buckets. With `fence`, only while that lock still holds the fence's token.
   */
  save(destination: DestinationDraft, fence?: Fence, stamp?: ChangeStamp): Promise<SaveOutcome>;
  /**
   * Applies a check's result, only to `version` and only if no later check has recorded; a
   * record with a last check adds it to the destination's check history in the same step.
   */
  record(
    teamId: string,
    bucket: string,
    version: number,
    record: CheckRecord,
    stamp?: ChangeStamp,
  ): Promise<RecordResult>;
  get(teamId: string, bucket: string): Promise<SavedDestination | undefined>;
  list(teamId: string): Promise<SavedDestination[]>;
  /** How many destinations the team has saved (the monitor sizes a round's jobs by it). */
  count(teamId: string): Promise<number>;
  /** Removes the destination in one step with the team's set of buckets. */
  remove(teamId: string, bucket: string, stamp?: ChangeStamp): Promise<RemoveOutcome>;
  /** Every team that has at least one saved destination (the monitor's sweep list). */
  teams(): Promise<string[]>;
  /**
   * The team's destinations among the next `limit` buckets after `after` (all when undefined), by
   * bucket, reading only those: the loader API's pages. Optional: without it, `list` serves.
   */
  listAfter?(teamId: string, after: string | undefined, limit: number): Promise<BucketSlice>;
}

/** What `listAfter` read: fewer `examined` than asked means no bucket was left after them. */
export interface BucketSlice {
  readonly destinations: SavedDestination[];
  readonly examined: number;
  /** The last bucket examined. */
  readonly through?: string;
}

/** Mutual exclusion across replicas: `SET NX PX` in Redis, a map in memory. */
export interface LockStore {
  /** A token when the lock was taken, undefined when someone else holds it. */
  acquire(key: string, ttlMs: number): Promise<string | undefined>;
  /** Releases only when `token` still owns the lock. */
  release(key: string, token: string): Promise<void>;
  /** Renews the lock's TTL while `token` still owns it; false when it was lost. */
  extend(key: string, token: string, ttlMs: number): Promise<boolean>;
}

/** Whether the backing store answers; `memory` for the embedded default. */
export interface StoreHealth {
  readonly kind: 'redis' | 'memory';
  ping(): Promise<boolean>;
}
