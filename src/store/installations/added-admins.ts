import { addedAdminsKey } from '../keys';
import { LuaScript } from '../lua-script';
import type { RedisClient } from '../redis-client';
import { storeCommand } from '../redis-errors';
import type { AddedAdminSets } from './types';

/**
 * KEYS: the set. ARGV: the new members. Replaces the set in one step and answers who came and who
 * went, so that two admins editing at once each audit exactly the changes they made.
 */
const REPLACE_SCRIPT = new LuaScript(`
local before = redis.call('smembers', KEYS[1])
local wanted = {}
for i = 1, #ARGV do wanted[ARGV[i]] = true end
local had = {}
local removed = {}
for _, id in ipairs(before) do
  had[id] = true
  if not wanted[id] then table.insert(removed, id) end
end
local added = {}
for i = 1, #ARGV do
  if not had[ARGV[i]] then table.insert(added, ARGV[i]); had[ARGV[i]] = true end
end
redis.call('del', KEYS[1])
if #ARGV > 0 then redis.call('sadd', KEYS[1], unpack(ARGV)) end
return {added, removed}
`);

/** `s3d:{T}:admins`: the people a workspace's admins added in the App Home (a set of user ids). */
export class RedisAddedAdminSets implements AddedAdminSets {
  constructor(private readonly redis: RedisClient) {}

  async members(teamId: string): Promise<string[]> {
    const key = addedAdminsKey(teamId);
    return (await storeCommand(key, () => this.redis.smembers(key))).sort();
  }

  async has(teamId: string, userId: string): Promise<boolean> {
    const key = addedAdminsKey(teamId);
    return (await storeCommand(key, () => this.redis.sismember(key, userId))) === 1;
  }

  async replace(teamId: string, userIds: readonly string[]) {
    const key = addedAdminsKey(teamId);
    const unique = [...new Set(userIds)];
    const [added, removed] = (await storeCommand(key, () =>
      REPLACE_SCRIPT.run(this.redis, [key], unique),
    )) as [string[], string[]];
    return { added, removed };
  }
}
