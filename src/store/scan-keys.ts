import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-client';
import { storeCommand } from './redis-errors';

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
        const [next, keys] = await storeCommand(pattern, () =>
          node.scan(cursor, 'MATCH', `${prefix}${pattern}`, 'COUNT', SCAN_BATCH),
        );
        cursor = next;
        for (const key of keys) found.add(key.slice(prefix.length));
      } while (cursor !== '0');
    }),
  );
  return [...found];
}
