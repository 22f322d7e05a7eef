import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { InvalidRedisUrlError, StoreUnavailableError } from '../errors';
import { parseRedisUrl, type RedisTarget } from './redis-url';

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

/** Reports the first error of each outage to `onError`, not every retry. */
export function reportErrors<T extends RedisClient>(
  redis: T,
  onError: ((error: Error) => void) | undefined,
): T {
  // Without a listener an 'error' event would crash the process whenever Redis is unreachable.
  let reported = false;
  redis.on('error', (error: Error) => {
    if (reported) return;
    reported = true;
    onError?.(error);
  });
  redis.on('ready', () => {
    reported = false;
  });
  return redis;
}

function standaloneOrSentinel(
  target: Exclude<RedisTarget, { kind: 'cluster' }>,
  options: RedisOptions,
): Redis {
  const common = { ...options, retryStrategy: reconnectDelay };
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
 * A connection to whatever REDIS_URL names (standalone, Sentinel or Cluster) that reconnects by
 * itself, never giving up: `options` for each connection, and for a Cluster `clusterOptions` on
 * the Cluster itself (where ioredis wants the key prefix and the offline queue).
 */
export function openRedis(
  url: string,
  options: RedisOptions,
  clusterOptions: ClusterOptions = {},
): RedisClient {
  const target = parseRedisUrl(url);
  if (target.kind !== 'cluster') return standaloneOrSentinel(target, options);
  return new Cluster(
    target.nodes.map(({ host, port }) => ({ host, port })),
    {
      ...clusterOptions,
      clusterRetryStrategy: reconnectDelay,
      redisOptions: { ...options, ...target.auth, ...(target.tls ? { tls: {} } : {}) },
    },
  );
}

/**
 * A fail-fast client for a standalone Redis (`redis://`, `rediss://`) or a Sentinel-managed
 * primary (`redis-sentinel://`). For any REDIS_URL, Cluster included, use `connectRedis`.
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  const target = parseRedisUrl(url);
  if (target.kind === 'cluster') {
    throw new InvalidRedisUrlError(
      'createRedisClient cannot connect to a Redis Cluster: use connectRedis',
    );
  }
  return reportErrors(standaloneOrSentinel(target, failFastOptions(options)), options.onError);
}

/** The fail-fast client for whatever REDIS_URL names: standalone, Sentinel or Cluster. */
export function connectRedis(url: string, options: RedisClientOptions = {}): RedisClient {
  const { keyPrefix, enableOfflineQueue, ...perNode } = failFastOptions(options);
  const cluster = parseRedisUrl(url).kind === 'cluster';
  const client = cluster
    ? openRedis(url, perNode, { keyPrefix, enableOfflineQueue })
    : openRedis(url, failFastOptions(options));
  return reportErrors(client, options.onError);
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
