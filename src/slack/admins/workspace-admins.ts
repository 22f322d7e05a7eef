import { z } from 'zod';
import type { AddedAdmins, AdminChange } from '../../deps-types';
import { assertTeamId } from '../../store/keys';
import { storeCommand } from '../../store/redis-errors';
import type { RedisClient } from '../../store/redis-client';

/** `s3d:{T123}:admins`: the people a workspace's admins added in the App Home (a set of user ids). */
export function addedAdminsKey(teamId: string): string {
  assertTeamId(teamId);
  return `s3d:{${teamId}}:admins`;
}

/** A Slack user id, as a people picker returns them. */
export const userIdSchema = z.string().regex(/^[UW][A-Z0-9]{2,30}$/);

/** How many people the Admins section can hold: a picker's own limit is far above any need. */
export const MAX_ADDED_ADMINS = 100;

/**
 * KEYS: the set. ARGV: the new members. Replaces the set in one step and answers who came and who
 * went, so that two admins editing at once each audit exactly the changes they made.
 */
const REPLACE_SCRIPT = `
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
`;

export type { AdminChange };

// Slack's own roles change rarely; an answer is trusted this long, and no longer.
const ROLE_CACHE_MS = 5 * 60_000;
const ROLE_CACHE_MAX = 10_000;

/**
 * Each workspace's added admins (in Redis) and what `users.info` said about people's workspace
 * roles (in this process, for at most 5 minutes).
 */
export class WorkspaceAdmins implements AddedAdmins {
  private readonly roles = new Map<string, { owner: boolean; until: number }>();

  constructor(
    private readonly redis: RedisClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** The people an admin added, sorted. */
  async added(teamId: string): Promise<string[]> {
    const key = addedAdminsKey(teamId);
    return (await storeCommand(key, () => this.redis.smembers(key))).sort();
  }

  async isAdded(teamId: string, userId: string): Promise<boolean> {
    const key = addedAdminsKey(teamId);
    return (await storeCommand(key, () => this.redis.sismember(key, userId))) === 1;
  }

  /** Makes `userIds` the workspace's added admins; answers what changed. */
  async replace(teamId: string, userIds: readonly string[]): Promise<AdminChange> {
    const key = addedAdminsKey(teamId);
    const unique = [...new Set(userIds)];
    const [added, removed] = (await storeCommand(key, () =>
      this.redis.eval(REPLACE_SCRIPT, 1, key, ...unique),
    )) as [string[], string[]];
    return { added, removed };
  }

  /** Whether `users.info` said lately that the user is a workspace owner or admin. */
  cachedRole(teamId: string, userId: string): boolean | undefined {
    const entry = this.roles.get(`${teamId}:${userId}`);
    if (!entry) return undefined;
    if (entry.until > this.now()) return entry.owner;
    this.roles.delete(`${teamId}:${userId}`);
    return undefined;
  }

  rememberRole(teamId: string, userId: string, owner: boolean): void {
    if (this.roles.size >= ROLE_CACHE_MAX) this.roles.clear();
    this.roles.set(`${teamId}:${userId}`, { owner, until: this.now() + ROLE_CACHE_MS });
  }
}
