import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from '../store/redis-url';

/** A connection for the job engine: standalone or Sentinel (`Redis`) or a Redis Cluster. */
export type JobConnection = Redis | Cluster;

const MAX_RECONNECT_DELAY_MS = 2000;
const reconnectDelay = (attempt: number) =>
  Math.min(100 * 2 ** (attempt - 1), MAX_RECONNECT_DELAY_MS);

/**
 * A connection to the Redis that REDIS_URL names, shaped as the job engine needs it. Unlike the
 * app's fail-fast client, its commands wait for a lost connection to come back (a worker blocks
 * on Redis for its next job: `maxRetriesPerRequest: null`), and it has no key prefix (the engine
 * prefixes its own keys).
 */
export function connectJobRedis(url: string, onError: (error: Error) => void): JobConnection {
  const target = parseRedisUrl(url);
  const common = {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: reconnectDelay,
  } satisfies RedisOptions;
  let connection: JobConnection;
  if (target.kind === 'standalone') {
    connection = new Redis(target.url, common);
  } else if (target.kind === 'sentinel') {
    connection = new Redis({
      ...common,
      sentinels: [...target.sentinels],
      name: target.name,
      db: target.db,
      ...target.auth,
      sentinelPassword: target.auth.password,
      sentinelUsername: target.auth.username,
      ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
      sentinelRetryStrategy: reconnectDelay,
    });
  } else {
    connection = new Cluster(
      target.nodes.map(({ host, port }) => ({ host, port })),
      {
        clusterRetryStrategy: reconnectDelay,
        redisOptions: {
          ...common,
          ...target.auth,
          ...(target.tls ? { tls: {} } : {}),
        },
      },
    );
  }
  // Said once per outage: ioredis retries every few hundred milliseconds while Redis is away.
  let reported = false;
  connection.on('error', (error: Error) => {
    if (!reported) onError(error);
    reported = true;
  });
  connection.on('ready', () => {
    reported = false;
  });
  return connection;
}
