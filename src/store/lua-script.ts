import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-client';
import { isReplyError } from './redis-errors';

type Argument = string | number;

/**
 * A Lua script sent by its SHA1 (EVALSHA), and in full (EVAL) only when the node answers NOSCRIPT:
 * after a restart, a SCRIPT FLUSH, or on a Cluster node that has not run it yet. Sending the
 * text with every call costs Redis a hash of it each time, and the monitor runs these scripts for
 * every destination in every round. The client's key prefix applies to the keys as with EVAL, and
 * a Cluster sends both commands to the node of the first key.
 */
export class LuaScript {
  readonly sha1: string;

  constructor(readonly source: string) {
    this.sha1 = createHash('sha1').update(source).digest('hex');
  }

  async run(
    redis: RedisClient,
    keys: readonly string[],
    args: readonly Argument[],
  ): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha1, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isReplyError(error, 'NOSCRIPT')) throw error;
      // EVAL also caches the script, so the next call goes by SHA1 again.
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
