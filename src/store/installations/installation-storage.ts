import {
  installationKey,
  teamEnterpriseKey,
  TEAM_ENTERPRISE_KEY_PATTERN,
  teamOfEnterpriseKey,
  teamSessionsPattern,
  uninstalledKey,
} from '../keys';
import { LuaScript } from '../lua-script';
import type { RedisClient } from '../redis-client';
import { storeCommand } from '../redis-errors';
import { scanKeys } from '../scan-keys';
import type { InstallationStorage, UninstallMark } from './types';

/**
 * KEYS: the installation, and for a workspace's own install its uninstall mark (the same slot).
 * ARGV: the sealed installation. One script, so no crash between the two leaves a stale mark.
 */
const WRITE_SCRIPT = new LuaScript(`
redis.call('set', KEYS[1], ARGV[1])
if KEYS[2] then redis.call('del', KEYS[2]) end
return 1
`);

/** KEYS: the installation. ARGV: the value read, the new one. Replaces it only if still read. */
const REPLACE_IF_UNCHANGED_SCRIPT = new LuaScript(`
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('set', KEYS[1], ARGV[2])
  return 1
end
return 0
`);

/** KEYS: the installation. ARGV: the value read. Deletes it only if it is still that value. */
const DELETE_IF_UNCHANGED_SCRIPT = new LuaScript(`
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return -1
`);

/**
 * KEYS: the mark. ARGV: the new mark; the time a mark must be older than to be replaced (ISO
 * 8601, which sorts as text), or '' to keep any mark there. A mark older than the installation
 * that went away was left by an earlier uninstall: the retention counts from this one.
 */
const MARK_SCRIPT = new LuaScript(`
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
`);

/**
 * Installations in Redis: `s3d:{T}:installation` (or `s3d:{E}:installation` for an org-wide
 * install) holding the sealed value, `s3d:{T}:enterprise` pointing a workspace at the organization
 * that serves it, and `s3d:{T}:uninstalled` marking when the app left a workspace.
 */
export class RedisInstallationStorage implements InstallationStorage {
  constructor(private readonly redis: RedisClient) {}

  async read(installationId: string): Promise<string | undefined> {
    const key = installationKey(installationId);
    return (await storeCommand(key, () => this.redis.get(key))) ?? undefined;
  }

  async write(installationId: string, sealed: string, ownTeamId?: string): Promise<void> {
    const key = installationKey(installationId);
    const keys = ownTeamId ? [key, uninstalledKey(ownTeamId)] : [key];
    await storeCommand(key, () => WRITE_SCRIPT.run(this.redis, keys, [sealed]));
  }

  async replaceIfUnchanged(installationId: string, read: string, sealed: string) {
    const key = installationKey(installationId);
    const replaced = await storeCommand(key, () =>
      REPLACE_IF_UNCHANGED_SCRIPT.run(this.redis, [key], [read, sealed]),
    );
    return replaced === 1;
  }

  async deleteIfUnchanged(installationId: string, read: string) {
    const key = installationKey(installationId);
    const result = await storeCommand(key, () =>
      DELETE_IF_UNCHANGED_SCRIPT.run(this.redis, [key], [read]),
    );
    return result === -1 ? undefined : result === 1;
  }

  async enterpriseOf(teamId: string): Promise<string | undefined> {
    const key = teamEnterpriseKey(teamId);
    return (await storeCommand(key, () => this.redis.get(key))) ?? undefined;
  }

  async pointToEnterprise(teamId: string, enterpriseId: string): Promise<void> {
    const key = teamEnterpriseKey(teamId);
    await storeCommand(key, () => this.redis.set(key, enterpriseId));
  }

  async teamsOf(enterpriseId: string): Promise<string[]> {
    const teams: string[] = [];
    for (const pointer of await scanKeys(this.redis, TEAM_ENTERPRISE_KEY_PATTERN)) {
      if ((await storeCommand(pointer, () => this.redis.get(pointer))) !== enterpriseId) continue;
      const team = teamOfEnterpriseKey(pointer);
      if (team) teams.push(team);
    }
    return teams;
  }

  async uninstalled(teamId: string): Promise<UninstallMark | undefined> {
    const key = uninstalledKey(teamId);
    const raw = await storeCommand(key, () => this.redis.get(key));
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as UninstallMark;
    } catch {
      return { at: new Date(0).toISOString(), reason: 'app_uninstalled' };
    }
  }

  async markUninstalled(teamId: string, mark: UninstallMark, replaceBefore: string) {
    const key = uninstalledKey(teamId);
    await storeCommand(key, () =>
      MARK_SCRIPT.run(this.redis, [key], [JSON.stringify(mark), replaceBefore]),
    );
  }

  async clearUninstalled(teamId: string): Promise<void> {
    const key = uninstalledKey(teamId);
    await storeCommand(key, () => this.redis.del(key));
  }

  async deleteSessionsOf(teamId: string): Promise<void> {
    for (const session of await scanKeys(this.redis, teamSessionsPattern(teamId))) {
      await storeCommand(session, () => this.redis.del(session));
    }
  }
}
