import { randomUUID } from 'node:crypto';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { z } from 'zod';
import { AppError, CorruptValueError, SealedValueError, StoreUnavailableError } from '../errors';
import {
  DESTINATIONS_KEY_PATTERN,
  destinationKey,
  destinationOrderKey,
  destinationOrderVersionKey,
  destinationsKey,
  destinationVersionKey,
  eventSequenceKey,
  sessionKey,
  teamOfDestinationsKey,
  teamOutboxKey,
} from './keys';
import { parseRedisUrl, type RedisTarget } from './redis-url';
import { newStamp } from './stamp';
import { KeyringError, openStored, sealStored, type Keyring } from './secrets';
import {
  CHANGE_TYPES,
  savedDestinationSchema,
  setupSessionSchema,
  type BucketSlice,
  type ChangeStamp,
  type ChangeType,
  type RecordResult,
  type StoredChange,
  type CheckRecord,
  type DestinationDraft,
  type DestinationStore,
  type Fence,
  type RecordOutcome,
  type RemoveOutcome,
  type SaveOutcome,
  type LockStore,
  type SavedDestination,
  type SessionStore,
  type SetupSession,
  type StoreHealth,
} from './types';

/** Standalone/Sentinel (`Redis`) or `Cluster`: the stores only use single-slot commands. */
export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  /** Prepended to every key; tests use it to keep their keys apart. */
  readonly keyPrefix?: string;
  /** How long one command may take before it fails; default 1000 ms. */
  readonly commandTimeoutMs?: number;
  /** Told about connection problems: the first error of each outage, not every retry. */
  readonly onError?: (error: Error) => void;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
const CONNECT_TIMEOUT_MS = 2000;
const MAX_RECONNECT_DELAY_MS = 2000;
// How long disconnect() waits for a socket to close before destroying it. ioredis waits 2 s by
// default even for a socket that already died, which holds up shutdown while Redis is down.
const DISCONNECT_TIMEOUT_MS = 500;

/**
 * Connection options for a client that fails fast while Redis is away and reconnects by itself
 * when it returns.
 *
 * Slack wants an answer within 3 s, so a command must never wait for a connection: with no offline
 * queue a command sent while disconnected is rejected at once, one in flight when the connection
 * drops is retried at most once, and every command is bounded by `commandTimeoutMs`.
 * Reconnection never gives up, so the process recovers without a restart.
 */
function failFastOptions(options: RedisClientOptions) {
  return {
    keyPrefix: options.keyPrefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  } satisfies RedisOptions;
}

const reconnectDelay = (attempt: number) =>
  Math.min(100 * 2 ** (attempt - 1), MAX_RECONNECT_DELAY_MS);

/** Reports the first error of each outage, not every retry. */
function reportErrors<T extends RedisClient>(redis: T, options: RedisClientOptions): T {
  // Without a listener an 'error' event would crash the process whenever Redis is unreachable.
  let reported = false;
  redis.on('error', (error: Error) => {
    if (reported) return;
    reported = true;
    options.onError?.(error);
  });
  redis.on('ready', () => {
    reported = false;
  });
  return redis;
}

function standaloneOrSentinel(
  target: Exclude<RedisTarget, { kind: 'cluster' }>,
  options: RedisClientOptions,
): Redis {
  const common = { ...failFastOptions(options), lazyConnect: false, retryStrategy: reconnectDelay };
  if (target.kind === 'standalone') return new Redis(target.url, common);
  return new Redis({
    ...common,
    sentinels: [...target.sentinels],
    name: target.name,
    db: target.db,
    ...target.auth,
    // The Sentinels take the same credentials unless they run without any.
    sentinelPassword: target.auth.password,
    sentinelUsername: target.auth.username,
    ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    sentinelRetryStrategy: reconnectDelay,
  });
}

/**
 * A fail-fast client for a standalone Redis (`redis://`, `rediss://`) or a Sentinel-managed
 * primary (`redis-sentinel://`). For any REDIS_URL, Cluster included, use `connectRedis`.
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  const target = parseRedisUrl(url);
  if (target.kind === 'cluster') {
    throw new Error('createRedisClient cannot connect to a Redis Cluster: use connectRedis');
  }
  return reportErrors(standaloneOrSentinel(target, options), options);
}

/** The fail-fast client for whatever REDIS_URL names: standalone, Sentinel or Cluster. */
export function connectRedis(url: string, options: RedisClientOptions = {}): RedisClient {
  const target = parseRedisUrl(url);
  if (target.kind !== 'cluster')
    return reportErrors(standaloneOrSentinel(target, options), options);
  const { keyPrefix, enableOfflineQueue, ...perNode } = failFastOptions(options);
  const cluster = new Cluster(
    target.nodes.map(({ host, port }) => ({ host, port })),
    {
      keyPrefix,
      enableOfflineQueue,
      clusterRetryStrategy: reconnectDelay,
      redisOptions: { ...perNode, ...target.auth, ...(target.tls ? { tls: {} } : {}) },
    },
  );
  return reportErrors(cluster, options);
}

/** Resolves once the client can take commands; rejects with StoreUnavailableError after `timeoutMs`. */
export function waitForRedis(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new StoreUnavailableError(new Error(`Redis not ready after ${timeoutMs} ms`)));
    }, timeoutMs);
    redis.once('ready', onReady);
  });
}

/** Redis answers `WRONGTYPE` when a key holds another kind of value than the command expects. */
function isWrongType(error: unknown): boolean {
  // The first word of a Redis error reply is its error code (part of the protocol, not prose).
  return (
    error instanceof Error && error.name === 'ReplyError' && error.message.startsWith('WRONGTYPE')
  );
}

/** Maps what ioredis throws to our errors: a wrong-typed key is corrupt, all else is unavailable. */
function storeError(key: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isWrongType(error)) return new CorruptValueError(key, error);
  return new StoreUnavailableError(error);
}

export async function run<T>(key: string, command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    throw storeError(key, error);
  }
}

function parseStored<T>(key: string, raw: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new CorruptValueError(key, error);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new CorruptValueError(key, parsed.error);
  return parsed.data;
}

/** A session or destination whose challenge name is stored sealed when a keyring is configured. */
interface WithChallengeKey {
  challengeKey: string;
}

/** Where a challenge name lives, which its sealing is bound to: its Redis key and field. */
export function challengeKeyBinding(key: string): string {
  return `${key}#challengeKey`;
}

/** `value` as stored at `key`: its challenge name sealed (bound to `key`) when there is a keyring. */
function sealChallengeKey<T extends WithChallengeKey>(
  value: T,
  keyring: Keyring | undefined,
  key: string,
): T {
  return {
    ...value,
    challengeKey: sealStored(value.challengeKey, keyring, challengeKeyBinding(key)),
  };
}

/** Parses a stored session or destination and opens its challenge name (sealed, or plain from before). */
function parseWithChallengeKey<T extends WithChallengeKey>(
  key: string,
  raw: string,
  schema: z.ZodType<T>,
  keyring: Keyring | undefined,
): T {
  const value = parseStored(key, raw, schema);
  try {
    return {
      ...value,
      challengeKey: openStored(value.challengeKey, keyring, challengeKeyBinding(key)),
    };
  } catch (error) {
    if (error instanceof KeyringError) throw new SealedValueError(key, error);
    throw error;
  }
}

/** What the Redis stores of secrets take beside their client. */
export interface SecretStoreOptions {
  /** Seals challenge names before they reach Redis; none: stored as they are. */
  readonly keyring?: Keyring;
}

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
    await run(key, () => this.redis.set(key, stored, 'EX', this.ttlSeconds));
  }

  async get(teamId: string, id: string): Promise<SetupSession | undefined> {
    const key = sessionKey(teamId, id);
    const raw = await run(key, () => this.redis.get(key));
    return raw === null
      ? undefined
      : parseWithChallengeKey(key, raw, setupSessionSchema, this.keyring);
  }

  async delete(teamId: string, id: string): Promise<void> {
    const key = sessionKey(teamId, id);
    await run(key, () => this.redis.del(key));
  }
}

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

/**
 * Lua shared by the save, record and remove scripts: the change event, decided by the script from
 * the value it replaces, is appended to the team's outbox in the same step as the change (an empty
 * event id: the store keeps no outbox, the change is only named). Returns {type, sequence}.
 */
const APPEND_CHANGE = `
local function change(outbox, sequences, bucket, kind, id, at, destination)
  if id == '' then return {kind, 0} end
  local sequence = redis.call('hincrby', sequences, bucket, 1)
  redis.call('xadd', outbox, '*', 'id', id, 'type', kind, 'at', at, 'bucket', bucket,
    'sequence', sequence, 'destination', destination)
  return {kind, sequence}
end
`;

/**
 * KEYS: destination, team's bucket set, team's version counter, fence lock (or the destination
 * again when unfenced), team's sorted buckets, the save they are complete up to, team's outbox,
 * team's event sequences. ARGV: destination JSON without version, bucket, fence token ('' =
 * none), event id ('' = no outbox), event time.
 * Returns {'fenced'} or {'saved', version, previous JSON or false, change type, sequence}.
 */
const SAVE_SCRIPT = `${APPEND_CHANGE}
if ARGV[3] ~= '' and redis.call('get', KEYS[4]) ~= ARGV[3] then
  return {'fenced'}
end
local previous = redis.call('get', KEYS[1])
local before = redis.call('get', KEYS[3])
local version = redis.call('incr', KEYS[3])
local destination = cjson.decode(ARGV[1])
destination['version'] = version
local saved = cjson.encode(destination)
redis.call('set', KEYS[1], saved)
redis.call('sadd', KEYS[2], ARGV[2])
redis.call('zadd', KEYS[5], 0, ARGV[2])
if redis.call('get', KEYS[6]) == before then redis.call('set', KEYS[6], version) end
local kind = previous and 'destination.updated' or 'destination.connected'
local made = change(KEYS[7], KEYS[8], ARGV[2], kind, ARGV[4], ARGV[5], saved)
return {'saved', version, previous or false, made[1], made[2]}
`;

/**
 * KEYS: destination, team's outbox, team's event sequences. ARGV: expected version, the record's
 * JSON, the record's lastCheck.at ('' if none), bucket, event id ('' = no outbox), event time.
 * Applies the record's fields (JSON null deletes one) only to that version, and only if no check
 * that started later recorded first (ISO times compare as strings). When the last check goes from
 * passing to failing or back, that is the change: {'recorded', change type, sequence}.
 */
const RECORD_SCRIPT = `${APPEND_CHANGE}
local raw = redis.call('get', KEYS[1])
if not raw then return {'removed'} end
local current = cjson.decode(raw)
if tostring(current['version'] or 0) ~= ARGV[1] then return {'changed'} end
local last = current['lastCheck']
if ARGV[3] ~= '' and type(last) == 'table' and type(last['at']) == 'string' and last['at'] > ARGV[3] then
  return {'stale'}
end
local wasOk = type(last) == 'table' and last['ok'] == true
for field, value in pairs(cjson.decode(ARGV[2])) do
  if value == cjson.null then current[field] = nil else current[field] = value end
end
local recorded = cjson.encode(current)
redis.call('set', KEYS[1], recorded)
local now = current['lastCheck']
local isOk = type(now) == 'table' and now['ok'] == true
if wasOk == isOk then return {'recorded'} end
local kind = isOk and 'destination.recovered' or 'destination.failing'
local made = change(KEYS[2], KEYS[3], ARGV[4], kind, ARGV[5], ARGV[6], recorded)
return {'recorded', made[1], made[2]}
`;

/**
 * KEYS: destination, team's bucket set, team's sorted buckets, the save they are complete up to,
 * team's outbox, team's event sequences. ARGV: bucket, event id ('' = no outbox), event time.
 * Returns {removed JSON or false, change type, sequence}.
 */
const REMOVE_SCRIPT = `${APPEND_CHANGE}
local raw = redis.call('get', KEYS[1])
redis.call('del', KEYS[1])
redis.call('srem', KEYS[2], ARGV[1])
redis.call('zrem', KEYS[3], ARGV[1])
if redis.call('scard', KEYS[2]) == 0 then redis.call('del', KEYS[4]) end
if not raw then return {false} end
local made = change(KEYS[5], KEYS[6], ARGV[1], 'destination.removed', ARGV[2], ARGV[3], raw)
return {raw, made[1], made[2]}
`;

/**
 * KEYS: team's bucket set, team's sorted buckets, the save they are complete up to, team's version
 * counter. ARGV: ZRANGEBYLEX min ('-' or '(' .. bucket), count. The next buckets in order. The set
 * is the record of the team's buckets; the sorted set is rebuilt from it when it missed a save or
 * a remove (a team saved before the sorted set existed, or a replica that did not write it yet,
 * during an upgrade): its version is behind the counter, or the two differ in size.
 */
const BUCKETS_AFTER_SCRIPT = `
local saves = redis.call('get', KEYS[4])
if redis.call('get', KEYS[3]) ~= saves or redis.call('zcard', KEYS[2]) ~= redis.call('scard', KEYS[1]) then
  redis.call('del', KEYS[2])
  local buckets = redis.call('smembers', KEYS[1])
  for first = 1, #buckets, 500 do
    local scored = {}
    for i = first, math.min(first + 499, #buckets) do
      scored[#scored + 1] = 0
      scored[#scored + 1] = buckets[i]
    end
    redis.call('zadd', KEYS[2], unpack(scored))
  end
  if saves and #buckets > 0 then redis.call('set', KEYS[3], saves) end
end
return redis.call('zrangebylex', KEYS[2], ARGV[1], '+', 'LIMIT', 0, ARGV[2])
`;

const SCAN_BATCH = 1000;

/** The key prefix a client adds to every key (ioredis's `keyPrefix`), which SCAN does not add. */
function keyPrefixOf(redis: RedisClient): string {
  return redis.options.keyPrefix ?? '';
}

/**
 * Every key matching `pattern` (without the client's key prefix), from every primary: a Cluster's
 * keys are spread over its primaries and SCAN sees only the node it is sent to. A key written or
 * deleted meanwhile may or may not be seen, as SCAN guarantees.
 */
export async function scanKeys(redis: RedisClient, pattern: string): Promise<string[]> {
  const prefix = keyPrefixOf(redis);
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const found = new Set<string>();
  await Promise.all(
    nodes.map(async (node) => {
      let cursor = '0';
      do {
        const [next, keys] = await run(pattern, () =>
          node.scan(cursor, 'MATCH', `${prefix}${pattern}`, 'COUNT', SCAN_BATCH),
        );
        cursor = next;
        for (const key of keys) found.add(key.slice(prefix.length));
      } while (cursor !== '0');
    }),
  );
  return [...found];
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
    const reply = (await run(key, () =>
      this.redis.eval(
        SAVE_SCRIPT,
        8,
        key,
        destinationsKey(teamId),
        destinationVersionKey(teamId),
        fence?.lockKey ?? key,
        destinationOrderKey(teamId),
        destinationOrderVersionKey(teamId),
        teamOutboxKey(teamId),
        eventSequenceKey(teamId),
        JSON.stringify(sealChallengeKey(withoutVersion, this.keyring, key)),
        bucket,
        fence?.token ?? '',
        this.events ? event.id : '',
        event.at,
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
    const reply = (await run(key, () =>
      this.redis.eval(
        RECORD_SCRIPT,
        3,
        key,
        teamOutboxKey(teamId),
        eventSequenceKey(teamId),
        String(version),
        JSON.stringify(record),
        record.lastCheck?.at ?? '',
        bucket,
        this.events ? event.id : '',
        event.at,
      ),
    )) as [RecordOutcome, string?, number?];
    const change = storedChange(event, reply[1], reply[2]);
    return { outcome: reply[0], ...(change ? { change } : {}) };
  }

  async get(teamId: string, bucket: string): Promise<SavedDestination | undefined> {
    const key = destinationKey(teamId, bucket);
    const raw = await run(key, () => this.redis.get(key));
    return raw === null ? undefined : this.parse(key, raw);
  }

  private parse(key: string, raw: string): SavedDestination {
    return this.leaveSealed
      ? parseStored(key, raw, savedDestinationSchema)
      : parseWithChallengeKey(key, raw, savedDestinationSchema, this.keyring);
  }

  async list(teamId: string): Promise<SavedDestination[]> {
    const setKey = destinationsKey(teamId);
    const buckets = (await run(setKey, () => this.redis.smembers(setKey))).sort();
    return this.read(teamId, buckets);
  }

  async listAfter(teamId: string, after: string | undefined, limit: number): Promise<BucketSlice> {
    const setKey = destinationsKey(teamId);
    // Byte order, as Array.prototype.sort orders `list`: the same for bucket names (ASCII).
    const buckets = (await run(setKey, () =>
      this.redis.eval(
        BUCKETS_AFTER_SCRIPT,
        4,
        setKey,
        destinationOrderKey(teamId),
        destinationOrderVersionKey(teamId),
        destinationVersionKey(teamId),
        after === undefined ? '-' : `(${after}`,
        limit,
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
    const raws = await run(setKey, () => this.redis.mget(keys));
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
    const reply = (await run(key, () =>
      this.redis.eval(
        REMOVE_SCRIPT,
        6,
        key,
        destinationsKey(teamId),
        destinationOrderKey(teamId),
        destinationOrderVersionKey(teamId),
        teamOutboxKey(teamId),
        eventSequenceKey(teamId),
        bucket,
        this.events ? event.id : '',
        event.at,
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

/** Deletes the lock only if it still holds the caller's token, atomically. */
const RELEASE_LOCK_SCRIPT = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
`;

/** Renews the lock's TTL only if it still holds the caller's token, atomically. */
const EXTEND_LOCK_SCRIPT = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
`;

/** `SET key token NX PX ttl` locks, released by compare-and-delete. */
export class RedisLockStore implements LockStore {
  constructor(private readonly redis: RedisClient) {}

  async acquire(key: string, ttlMs: number): Promise<string | undefined> {
    const token = randomUUID();
    const reply = await run(key, () => this.redis.set(key, token, 'PX', ttlMs, 'NX'));
    return reply === 'OK' ? token : undefined;
  }

  async release(key: string, token: string): Promise<void> {
    await run(key, () => this.redis.eval(RELEASE_LOCK_SCRIPT, 1, key, token));
  }

  async extend(key: string, token: string, ttlMs: number): Promise<boolean> {
    const reply = await run(key, () => this.redis.eval(EXTEND_LOCK_SCRIPT, 1, key, token, ttlMs));
    return reply === 1;
  }
}

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
