import { randomUUID } from 'node:crypto';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { z } from 'zod';
import { AppError, CorruptValueError, StoreUnavailableError } from '../errors';
import { destinationKey, destinationsKey, sessionKey, TEAMS_KEY } from './keys';
import { parseRedisUrl, type RedisTarget } from './redis-url';
import {
  savedDestinationSchema,
  setupSessionSchema,
  type DestinationStore,
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

async function run<T>(key: string, command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    throw storeError(key, error);
  }
}

type ExecResult = [error: Error | null, result: unknown][] | null;

/** The replies of a MULTI, or the first error inside it. */
function execReplies(key: string, result: ExecResult): unknown[] {
  // exec() yields null only when a WATCHed key changed; we never WATCH, so treat it as a failure.
  if (result === null) throw new StoreUnavailableError(new Error(`MULTI on ${key} was aborted`));
  return result.map(([error, reply]) => {
    if (error) throw storeError(key, error);
    return reply;
  });
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

/** Setup sessions as JSON strings that Redis expires after `ttlSeconds`. */
export class RedisSessionStore implements SessionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds: number,
  ) {}

  async put(session: SetupSession): Promise<void> {
    const key = sessionKey(session.teamId, session.id);
    await run(key, () => this.redis.set(key, JSON.stringify(session), 'EX', this.ttlSeconds));
  }

  async get(teamId: string, id: string): Promise<SetupSession | undefined> {
    const key = sessionKey(teamId, id);
    const raw = await run(key, () => this.redis.get(key));
    return raw === null ? undefined : parseStored(key, raw, setupSessionSchema);
  }

  async delete(teamId: string, id: string): Promise<void> {
    const key = sessionKey(teamId, id);
    await run(key, () => this.redis.del(key));
  }
}

export interface RedisDestinationStoreOptions {
  /**
   * Told about each saved destination `list` skips because its value is corrupt. `list` returns
   * the valid ones rather than failing, so one bad entry cannot hide a team's other destinations
   * (from the user and from the monitor); `get` on that bucket still throws CorruptValueError.
   */
  readonly onCorrupt?: (error: CorruptValueError) => void;
}

/**
 * Saved destinations: one JSON value per bucket plus the team's set of buckets (same slot), and
 * the global set of teams (another slot) for the monitor.
 */
export class RedisDestinationStore implements DestinationStore {
  private readonly onCorrupt: (error: CorruptValueError) => void;

  constructor(
    private readonly redis: RedisClient,
    options: RedisDestinationStoreOptions = {},
  ) {
    this.onCorrupt = options.onCorrupt ?? (() => undefined);
  }

  async save(destination: SavedDestination): Promise<void> {
    const { teamId } = destination;
    const { bucket } = destination.settings;
    const key = destinationKey(teamId, bucket);
    const replies = await run(key, () =>
      this.redis
        .multi()
        .set(key, JSON.stringify(destination))
        .sadd(destinationsKey(teamId), bucket)
        .exec(),
    );
    execReplies(key, replies);
    // TEAMS_KEY lives in another Cluster slot, and a MULTI spanning slots fails with CROSSSLOT, so
    // it is a separate command, sent after the destination exists: if it fails the error still
    // reaches the caller, and saving again (idempotent) repairs the sweep list.
    await run(TEAMS_KEY, () => this.redis.sadd(TEAMS_KEY, teamId));
  }

  async get(teamId: string, bucket: string): Promise<SavedDestination | undefined> {
    const key = destinationKey(teamId, bucket);
    const raw = await run(key, () => this.redis.get(key));
    return raw === null ? undefined : parseStored(key, raw, savedDestinationSchema);
  }

  async list(teamId: string): Promise<SavedDestination[]> {
    const setKey = destinationsKey(teamId);
    const buckets = (await run(setKey, () => this.redis.smembers(setKey))).sort();
    if (buckets.length === 0) return [];
    const keys = buckets.map((bucket) => destinationKey(teamId, bucket));
    const raws = await run(setKey, () => this.redis.mget(keys));
    const destinations: SavedDestination[] = [];
    raws.forEach((raw, index) => {
      // A bucket in the set without a value was removed between SMEMBERS and MGET.
      if (raw === null) return;
      try {
        destinations.push(parseStored(keys[index], raw, savedDestinationSchema));
      } catch (error) {
        if (!(error instanceof CorruptValueError)) throw error;
        this.onCorrupt(error);
      }
    });
    return destinations;
  }

  async remove(teamId: string, bucket: string): Promise<boolean> {
    const key = destinationKey(teamId, bucket);
    const setKey = destinationsKey(teamId);
    const replies = await run(key, () =>
      this.redis.multi().del(key).srem(setKey, bucket).scard(setKey).exec(),
    );
    const [deleted, unlisted, remaining] = execReplies(key, replies);
    if (remaining === 0) await this.dropTeamIfEmpty(teamId);
    return deleted === 1 || unlisted === 1;
  }

  async teams(): Promise<string[]> {
    return (await run(TEAMS_KEY, () => this.redis.smembers(TEAMS_KEY))).sort();
  }

  /**
   * Takes the team off the sweep list, then looks again: a concurrent save adds its bucket before
   * it adds the team, so either this second look sees the bucket or the save's SADD comes after
   * our SREM. Either way a team with a destination stays on the list.
   */
  private async dropTeamIfEmpty(teamId: string): Promise<void> {
    const setKey = destinationsKey(teamId);
    await run(TEAMS_KEY, () => this.redis.srem(TEAMS_KEY, teamId));
    const remaining = await run(setKey, () => this.redis.scard(setKey));
    if (remaining > 0) await run(TEAMS_KEY, () => this.redis.sadd(TEAMS_KEY, teamId));
  }
}

/** Deletes the lock only if it still holds the caller's token, atomically. */
const RELEASE_LOCK_SCRIPT = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
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
