import { installationKey, uninstalledKey } from '../../store/keys';
import { storeCommand } from '../../store/redis-errors';
import type { RedisClient } from '../../store/redis-client';

import type { UninstallMark } from '../../store/installation-types';

export type { UninstallMark };

/**
 * KEYS: the installation, and for a workspace's own install its uninstall mark (the same slot).
 * ARGV: the sealed installation. One script, so no crash between the two leaves a stale mark.
 */
const SAVE_SCRIPT = `
redis.call('set', KEYS[1], ARGV[1])
if KEYS[2] then redis.call('del', KEYS[2]) end
return 1
`;

/** KEYS: the installation. ARGV: the value read. Deletes it only if it is still that value. */
const DELETE_IF_UNCHANGED_SCRIPT = `
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return -1
`;

/**
 * KEYS: the mark. ARGV: the new mark; the time a mark must be older than to be replaced (ISO
 * 8601, which sorts as text), or '' to keep any mark there. A mark older than the installation
 * that went away was left by an earlier uninstall: the retention counts from this one.
 */
const MARK_SCRIPT = `
local existing = redis.call('get', KEYS[1])
if existing then
  if ARGV[2] == '' then return 0 end
  local ok, mark = pcall(cjson.decode, existing)
  if ok and type(mark) == 'table' and type(mark.at) == 'string' and mark.at >= ARGV[2] then
    return 0
  end
end
redis.call('set', KEYS[1], ARGV[1])
return 1
`;

/** Sorts after every ISO time: an installation of unknown age replaces any mark. */
export const REPLACE_ANY_MARK = '~';
/** No installation went away (the other event of the pair came first): the mark there stays. */
export const KEEP_ANY_MARK = '';

/** Stores a sealed installation under `id`; a workspace's own install clears its mark with it. */
export async function writeInstallation(
  redis: RedisClient,
  id: string,
  sealed: string,
  ownTeamId: string | undefined,
): Promise<void> {
  const key = installationKey(id);
  const keys = ownTeamId ? [key, uninstalledKey(ownTeamId)] : [key];
  await storeCommand(key, () => redis.eval(SAVE_SCRIPT, keys.length, ...keys, sealed));
}

/** Deletes the installation if it is still `raw`: true deleted, false gone, undefined changed. */
export async function deleteIfUnchanged(
  redis: RedisClient,
  id: string,
  raw: string,
): Promise<boolean | undefined> {
  const key = installationKey(id);
  const result = await storeCommand(key, () => redis.eval(DELETE_IF_UNCHANGED_SCRIPT, 1, key, raw));
  return result === -1 ? undefined : result === 1;
}

/** Marks the workspace uninstalled, replacing a mark older than `replaceBefore` (see MARK_SCRIPT). */
export async function markUninstalled(
  redis: RedisClient,
  teamId: string,
  mark: UninstallMark,
  replaceBefore: string,
): Promise<void> {
  const key = uninstalledKey(teamId);
  await storeCommand(key, () =>
    redis.eval(MARK_SCRIPT, 1, key, JSON.stringify(mark), replaceBefore),
  );
}

/** Clears the marks of the workspaces an org-wide install serves again. */
export async function clearMarks(redis: RedisClient, teamIds: Iterable<string>): Promise<void> {
  for (const teamId of teamIds) {
    const key = uninstalledKey(teamId);
    await storeCommand(key, () => redis.del(key));
  }
}
