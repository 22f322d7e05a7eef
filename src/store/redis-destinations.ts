import { CorruptValueError } from '../errors';
import {
  CHECK_HISTORY_MAX_ENTRIES,
  CHECK_HISTORY_TTL_SECONDS,
  historyEntryJson,
} from './check-history';
import {
  BUCKETS_AFTER_SCRIPT,
  RECORD_SCRIPT,
  REMOVE_SCRIPT,
  SAVE_SCRIPT,
} from './destination-scripts';
import {
  DESTINATIONS_KEY_PATTERN,
  destinationKey,
  destinationOrderKey,
  destinationOrderVersionKey,
  destinationsKey,
  destinationVersionKey,
  eventSequenceKey,
  historyKey,
  teamOfDestinationsKey,
  teamOutboxKey,
} from './keys';
import type { RedisClient } from './redis-client';
import { storeCommand } from './redis-errors';
import { scanKeys } from './scan-keys';
import type { Keyring } from './secrets';
import { newStamp } from './stamp';
import {
  parseStored,
  parseWithChallengeKey,
  sealChallengeKey,
  type SecretStoreOptions,
} from './stored-values';
import {
  CHANGE_TYPES,
  savedDestinationSchema,
  type BucketSlice,
  type ChangeStamp,
  type ChangeType,
  type CheckRecord,
  type DestinationDraft,
  type DestinationStore,
  type Fence,
  type RecordOutcome,
  type RecordResult,
  type RemoveOutcome,
  type SavedDestination,
  type SaveOutcome,
  type StoredChange,
} from './types';

export interface RedisDestinationStoreOptions extends SecretStoreOptions {
  /**
   * Append each change's event to the team's outbox (`s3d:{T}:outbox`) in the script that makes
   * the change; something must then relay the outboxes (the webhook's delivery). Default false.
   */
  readonly events?: boolean;
  /**
   * Told about each saved destination `list` skips because its value is corrupt. `list` returns
   * the valid ones rather than failing, so one bad entry cannot hide a team's other destinations
   * (from the user and from the monitor); `get` on that bucket still throws CorruptValueError.
   */
  readonly onCorrupt?: (error: CorruptValueError) => void;
  /**
   * Leaves each challenge name as stored, sealed, never opening it: for readers that never show
   * it (the loader API), which then need no key and cannot be misled by one.
   */
  readonly leaveChallengeKeysSealed?: boolean;
}

/** The change a script reported (type and sequence; 0: no outbox), or undefined for none. */
function storedChange(
  stamp: ChangeStamp,
  type: string | undefined,
  sequence: number | undefined,
): StoredChange | undefined {
  if (!(CHANGE_TYPES as readonly (string | undefined)[]).includes(type)) return undefined;
  return {
    type: type as ChangeType,
    id: stamp.id,
    at: stamp.at,
    ...(sequence ? { sequence } : {}),
  };
}

/**
 * Saved destinations: one JSON value per bucket, the team's set of buckets and its version counter,
 * all in the team's Cluster slot, so every save, record and remove is one Lua script. The team's
 * set is also its entry in the registry of teams: `teams()` finds the sets with SCAN on every
 * primary, so no key outside the team's slot ever has to change with them.
 */
export class RedisDestinationStore implements DestinationStore {
  private readonly onCorrupt: (error: CorruptValueError) => void;
  private readonly keyring: Keyring | undefined;
  private readonly events: boolean;
  private readonly leaveSealed: boolean;

  constructor(
    private readonly redis: RedisClient,
    options: RedisDestinationStoreOptions = {},
  ) {
    this.onCorrupt = options.onCorrupt ?? (() => undefined);
    this.keyring = options.keyring;
    this.events = options.events ?? false;
    this.leaveSealed = options.leaveChallengeKeysSealed === true;
  }

  async save(draft: DestinationDraft, fence?: Fence, stamp?: ChangeStamp): Promise<SaveOutcome> {
    const { teamId } = draft;
    const { bucket } = draft.settings;
    const key = destinationKey(teamId, bucket);
    const event = stamp ?? newStamp();
    // The script numbers the save; a version in the draft is the one it replaces, never reused.
    const withoutVersion: DestinationDraft = { ...draft };
    delete withoutVersion.version;
    const reply = (await storeCommand(key, () =>
      SAVE_SCRIPT.run(
        this.redis,
        [
          key,
          destinationsKey(teamId),
          destinationVersionKey(teamId),
          fence?.lockKey ?? key,
          destinationOrderKey(teamId),
          destinationOrderVersionKey(teamId),
          teamOutboxKey(teamId),
          eventSequenceKey(teamId),
        ],
        [
          JSON.stringify(sealChallengeKey(withoutVersion, this.keyring, key)),
          bucket,
          fence?.token ?? '',
          this.events ? event.id : '',
          event.at,
        ],
      ),
    )) as [string, number?, (string | null)?, string?, number?];
    if (reply[0] === 'fenced') return { status: 'fenced' };
    const destination = savedDestinationSchema.parse({ ...withoutVersion, version: reply[1] });
    const previousRaw = reply[2];
    const previous =
      typeof previousRaw === 'string' ? this.parseOrReport(key, previousRaw) : undefined;
    const change = storedChange(event, reply[3], reply[4]);
    if (!change) throw new CorruptValueError(key, new Error('the save named no change'));
    return { status: 'saved', destination, change, ...(previous ? { previous } : {}) };
  }

  async record(
    teamId: string,
    bucket: string,
    version: number,
    record: CheckRecord,
    stamp?: ChangeStamp,
  ): Promise<RecordResult> {
    const key = destinationKey(teamId, bucket);
    const event = stamp ?? newStamp();
    const reply = (await storeCommand(key, () =>
      RECORD_SCRIPT.run(
        this.redis,
        [key, teamOutboxKey(teamId), eventSequenceKey(teamId), historyKey(teamId, bucket)],
        [
          String(version),
          JSON.stringify(record),
          record.lastCheck?.at ?? '',
          bucket,
          this.events ? event.id : '',
          event.at,
          record.lastCheck ? historyEntryJson(record.lastCheck) : '',
          String(CHECK_HISTORY_MAX_ENTRIES),
          String(CHECK_HISTORY_TTL_SECONDS),
        ],
      ),
    )) as [RecordOutcome, string?, number?];
    const change = storedChange(event, reply[1], reply[2]);
    return { outcome: reply[0], ...(change ? { change } : {}) };
  }

  async get(teamId: string, bucket: string): Promise<SavedDestination | undefined> {
    const key = destinationKey(teamId, bucket);
    const raw = await storeCommand(key, () => this.redis.get(key));
    return raw === null ? undefined : this.parse(key, raw);
  }

  private parse(key: string, raw: string): SavedDestination {
    return this.leaveSealed
      ? parseStored(key, raw, savedDestinationSchema)
      : parseWithChallengeKey(key, raw, savedDestinationSchema, this.keyring);
  }

  async list(teamId: string): Promise<SavedDestination[]> {
    const setKey = destinationsKey(teamId);
    const buckets = (await storeCommand(setKey, () => this.redis.smembers(setKey))).sort();
    return this.read(teamId, buckets);
  }

  async count(teamId: string): Promise<number> {
    const setKey = destinationsKey(teamId);
    return storeCommand(setKey, () => this.redis.scard(setKey));
  }

  async listAfter(teamId: string, after: string | undefined, limit: number): Promise<BucketSlice> {
    const setKey = destinationsKey(teamId);
    // Byte order, as Array.prototype.sort orders `list`: the same for bucket names (ASCII).
    const buckets = (await storeCommand(setKey, () =>
      BUCKETS_AFTER_SCRIPT.run(
        this.redis,
        [
          setKey,
          destinationOrderKey(teamId),
          destinationOrderVersionKey(teamId),
          destinationVersionKey(teamId),
        ],
        [after === undefined ? '-' : `(${after}`, limit],
      ),
    )) as string[];
    return {
      destinations: await this.read(teamId, buckets),
      examined: buckets.length,
      through: buckets.at(-1),
    };
  }

  /** The destinations of these buckets, in their order, leaving out removed and corrupt ones. */
  private async read(teamId: string, buckets: string[]): Promise<SavedDestination[]> {
    if (buckets.length === 0) return [];
    const setKey = destinationsKey(teamId);
    const keys = buckets.map((bucket) => destinationKey(teamId, bucket));
    const raws = await storeCommand(setKey, () => this.redis.mget(keys));
    const destinations: SavedDestination[] = [];
    raws.forEach((raw, index) => {
      // A bucket in the set without a value was removed between SMEMBERS and MGET.
      if (raw === null) return;
      const destination = this.parseOrReport(keys[index], raw);
      if (destination) destinations.push(destination);
    });
    return destinations;
  }

  async remove(teamId: string, bucket: string, stamp?: ChangeStamp): Promise<RemoveOutcome> {
    const key = destinationKey(teamId, bucket);
    const event = stamp ?? newStamp();
    const reply = (await storeCommand(key, () =>
      REMOVE_SCRIPT.run(
        this.redis,
        [
          key,
          destinationsKey(teamId),
          destinationOrderKey(teamId),
          destinationOrderVersionKey(teamId),
          teamOutboxKey(teamId),
          eventSequenceKey(teamId),
        ],
        [bucket, this.events ? event.id : '', event.at],
      ),
    )) as [string | null, string?, number?];
    const raw = reply[0];
    if (typeof raw !== 'string') return { removed: false };
    // A corrupt value is removed all the same; there is just nothing to tell about it.
    const previous = this.parseOrReport(key, raw);
    const change = storedChange(event, reply[1], reply[2]);
    return { removed: true, ...(previous ? { previous } : {}), ...(change ? { change } : {}) };
  }

  async teams(): Promise<string[]> {
    const keys = await scanKeys(this.redis, DESTINATIONS_KEY_PATTERN);
    const teams = keys.flatMap((key) => teamOfDestinationsKey(key) ?? []);
    return [...new Set(teams)].sort();
  }

  private parseOrReport(key: string, raw: string): SavedDestination | undefined {
    try {
      return this.parse(key, raw);
    } catch (error) {
      if (!(error instanceof CorruptValueError)) throw error;
      this.onCorrupt(error);
      return undefined;
    }
  }
}
