import { TEAM_OUTBOX_KEY_PATTERN, teamOfOutboxKey, teamOutboxKey } from '../keys';
import { LuaScript } from '../lua-script';
import type { RedisClient } from '../redis-client';
import { storeCommand } from '../redis-errors';
import { scanKeys } from '../scan-keys';

/** KEYS: the team's outbox. ARGV: relayed entry ids. Deletes them, and the stream once empty. */
const RELAYED_SCRIPT = new LuaScript(`
redis.call('xdel', KEYS[1], unpack(ARGV))
if redis.call('xlen', KEYS[1]) == 0 then redis.call('del', KEYS[1]) end
return 1
`);

/** One change event in a team's outbox, as the store's scripts appended it. */
export interface TeamOutboxEntry {
  readonly entryId: string;
  readonly fields: Readonly<Record<string, string>>;
}

/**
 * `s3d:{T}:outbox`: each team's change events, appended by the script that makes each change, in
 * the team's own slot, until they are relayed to the delivery outbox.
 */
export class RedisTeamOutboxes {
  constructor(private readonly redis: RedisClient) {}

  /** The teams whose outbox has events left (the key exists exactly while it does). */
  async teamsWithEvents(): Promise<string[]> {
    const keys = await scanKeys(this.redis, TEAM_OUTBOX_KEY_PATTERN);
    return keys.flatMap((key) => teamOfOutboxKey(key) ?? []);
  }

  /** Up to `count` of the team's entries after the entry id `after` ('-': from the first). */
  async read(teamId: string, after: string, count: number): Promise<TeamOutboxEntry[]> {
    const key = teamOutboxKey(teamId);
    const from = after === '-' ? '-' : `(${after}`;
    const entries = (await storeCommand(key, () =>
      this.redis.xrange(key, from, '+', 'COUNT', count),
    )) as [string, string[]][];
    return entries.map(([entryId, raw]) => ({ entryId, fields: fieldsOf(raw) }));
  }

  /** Deletes relayed entries, and the team's outbox once it is empty. */
  async deleteRelayed(teamId: string, entryIds: readonly string[]): Promise<void> {
    if (entryIds.length === 0) return;
    const key = teamOutboxKey(teamId);
    await storeCommand(key, () => RELAYED_SCRIPT.run(this.redis, [key], entryIds));
  }
}

function fieldsOf(raw: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) fields[raw[i]] = raw[i + 1];
  return fields;
}
