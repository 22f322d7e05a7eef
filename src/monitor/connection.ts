import type { Cluster, Redis } from 'ioredis';
import { openRedis, reportErrors } from '../store/redis-client';

/** A connection for the job engine: standalone or Sentinel (`Redis`) or a Redis Cluster. */
export type JobConnection = Redis | Cluster;

/**
 * A connection to the Redis that REDIS_URL names, shaped as the job engine needs it. Unlike the
 * app's fail-fast client, its commands wait for a lost connection to come back (a worker blocks
 * on Redis for its next job: `maxRetriesPerRequest: null`), and it has no key prefix (the engine
 * prefixes its own keys). Problems are said once per outage.
 */
export function connectJobRedis(url: string, onError: (error: Error) => void): JobConnection {
  const connection = openRedis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
  return reportErrors(connection, onError);
}
