import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { run, type RedisClient } from '../store/redis';
import type { ChangeEvent } from './types';

/**
 * Every outbox key shares the `{outbox}` hash tag, so each script below touches one Cluster slot.
 * The stream is the durable log: an event is in it from the moment the change is recorded until
 * it was delivered (or dead-lettered), and the consumer group hands each entry to one replica.
 */
export const OUTBOX_KEYS = {
  stream: 's3d:{outbox}:events',
  dead: 's3d:{outbox}:dead',
  retries: 's3d:{outbox}:retries',
  seq: (teamId: string, bucket: string) => `s3d:{outbox}:seq:${teamId}:${bucket}`,
  delivered: (teamId: string, bucket: string) => `s3d:{outbox}:delivered:${teamId}:${bucket}`,
  lock: (teamId: string, bucket: string) => `s3d:{outbox}:lock:${teamId}:${bucket}`,
} as const;
export const OUTBOX_GROUP = 'delivery';

/** One entry of the outbox: the event and its place among its destination's events. */
export interface OutboxEntry {
  /** The stream entry id. */
  readonly entryId: string;
  readonly teamId: string;
  readonly bucket: string;
  /** 1, 2, 3… per destination, in the order the changes were recorded. */
  readonly seq: number;
  /** The event's JSON, exactly as it is POSTed. */
  readonly body: string;
}

/** Where a failing event stands: kept in Redis so that whichever replica retries it goes on. */
export const retryStateSchema = z.object({
  attempts: z.number().int().positive(),
  firstFailedAt: z.number(),
  nextAt: z.number(),
  lastError: z.string(),
});
export type RetryState = z.infer<typeof retryStateSchema>;

/** KEYS: seq, stream. ARGV: team, bucket, event JSON. Numbers the event and appends it at once. */
const RECORD_SCRIPT = `
local seq = redis.call('incr', KEYS[1])
return redis.call('xadd', KEYS[2], '*', 'team', ARGV[1], 'bucket', ARGV[2], 'seq', seq, 'event', ARGV[3])
`;

/**
 * KEYS: delivered, stream, retries, dead. ARGV: seq, group, entry id, dead-letter reason ('' = none).
 * Marks the event done for its destination (so the next one may go), acknowledges and deletes the
 * entry, and, with a reason, keeps it as a dead letter first: all or nothing.
 */
const FINISH_SCRIPT = `
if ARGV[4] ~= '' then
  local entry = redis.call('xrange', KEYS[2], ARGV[3], ARGV[3])
  if #entry == 1 then
    local fields = entry[1][2]
    table.insert(fields, 'reason')
    table.insert(fields, ARGV[4])
    table.insert(fields, 'entry')
    table.insert(fields, ARGV[3])
    redis.call('xadd', KEYS[4], '*', unpack(fields))
  end
end
local current = tonumber(redis.call('get', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('set', KEYS[1], ARGV[1]) end
redis.call('xack', KEYS[2], ARGV[2], ARGV[3])
redis.call('xdel', KEYS[2], ARGV[3])
redis.call('hdel', KEYS[3], ARGV[3])
return 1
`;

/** Deletes the lock only while it still holds the caller's token. */
const RELEASE_SCRIPT = `
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
`;

type RawEntry = [string, string[]];

function parseEntry([entryId, fields]: RawEntry): OutboxEntry | undefined {
  const value: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) value[fields[i]] = fields[i + 1];
  const seq = Number(value.seq);
  if (!value.team || !value.bucket || !Number.isSafeInteger(seq) || !value.event) return undefined;
  return { entryId, teamId: value.team, bucket: value.bucket, seq, body: value.event };
}

/** Stream entry ids in order: milliseconds, then sequence. */
export function compareEntryIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split('-').map(Number);
  const [bMs, bSeq] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

/** The change events' outbox: a Redis Stream read by a consumer group. */
export class RedisOutbox {
  constructor(private readonly redis: RedisClient) {}

  /** Appends a change, numbered after every earlier change of its destination. */
  async record(event: ChangeEvent): Promise<string> {
    const { team_id: teamId, bucket } = event.destination;
    const key = OUTBOX_KEYS.stream;
    const reply = await run(key, () =>
      this.redis.eval(
        RECORD_SCRIPT,
        2,
        OUTBOX_KEYS.seq(teamId, bucket),
        key,
        teamId,
        bucket,
        JSON.stringify(event),
      ),
    );
    return String(reply);
  }

  /** Appends an event numbered by its change (its `sequence`) for delivery. */
  async append(entry: {
    readonly teamId: string;
    readonly bucket: string;
    readonly seq: number;
    readonly body: string;
  }): Promise<string> {
    const key = OUTBOX_KEYS.stream;
    const reply = await run(key, () =>
      this.redis.xadd(
        key,
        '*',
        'team',
        entry.teamId,
        'bucket',
        entry.bucket,
        'seq',
        String(entry.seq),
        'event',
        entry.body,
      ),
    );
    return String(reply);
  }

  /** Creates the consumer group (reading from the start of the stream) unless it exists. */
  async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', OUTBOX_KEYS.stream, OUTBOX_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
    }
  }

  /**
   * What `consumer` should work on, oldest first: its own pending entries (reading them again
   * tells the group it is alive), the entries of consumers idle for `claimIdleMs` (crashed:
   * XAUTOCLAIM makes them this consumer's), then new ones.
   */
  async nextEntries(consumer: string, count: number, claimIdleMs: number): Promise<OutboxEntry[]> {
    const key = OUTBOX_KEYS.stream;
    const read = async (id: string) => {
      const reply = (await this.redis.xreadgroup(
        'GROUP',
        OUTBOX_GROUP,
        consumer,
        'COUNT',
        count,
        'STREAMS',
        key,
        id,
      )) as [string, RawEntry[]][] | null;
      return reply?.[0]?.[1] ?? [];
    };
    const own = await read('0');
    const claimed = (await this.redis.xautoclaim(
      key,
      OUTBOX_GROUP,
      consumer,
      claimIdleMs,
      '0-0',
      'COUNT',
      count,
    )) as [string, RawEntry[]];
    const fresh = await read('>');
    const byId = new Map<string, OutboxEntry>();
    for (const raw of [...own, ...claimed[1], ...fresh]) {
      // An entry deleted after it was read comes back with no fields.
      const entry = raw && raw[1] ? parseEntry(raw) : undefined;
      if (entry) byId.set(entry.entryId, entry);
    }
    return [...byId.values()].sort((a, b) => compareEntryIds(a.entryId, b.entryId));
  }

  /** The seq of the last event of the destination that was delivered (or dead-lettered); 0: none. */
  async deliveredSeq(teamId: string, bucket: string): Promise<number> {
    return Number((await this.redis.get(OUTBOX_KEYS.delivered(teamId, bucket))) ?? 0);
  }

  async retryState(entryId: string): Promise<RetryState | undefined> {
    const raw = await this.redis.hget(OUTBOX_KEYS.retries, entryId);
    if (raw === null) return undefined;
    const parsed = retryStateSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }

  async saveRetryState(entryId: string, state: RetryState): Promise<void> {
    await this.redis.hset(OUTBOX_KEYS.retries, entryId, JSON.stringify(state));
  }

  /** Done with the entry: delivered, a duplicate, or (with `deadReason`) given up on. */
  async finish(entry: OutboxEntry, deadReason = ''): Promise<void> {
    await this.redis.eval(
      FINISH_SCRIPT,
      4,
      OUTBOX_KEYS.delivered(entry.teamId, entry.bucket),
      OUTBOX_KEYS.stream,
      OUTBOX_KEYS.retries,
      OUTBOX_KEYS.dead,
      entry.seq,
      OUTBOX_GROUP,
      entry.entryId,
      deadReason,
    );
  }

  /** The destination's delivery lock (one delivery at a time per destination), or undefined. */
  async lockDestination(entry: OutboxEntry, ttlMs: number): Promise<string | undefined> {
    const token = randomUUID();
    const reply = await this.redis.set(
      OUTBOX_KEYS.lock(entry.teamId, entry.bucket),
      token,
      'PX',
      ttlMs,
      'NX',
    );
    return reply === 'OK' ? token : undefined;
  }

  async unlockDestination(entry: OutboxEntry, token: string): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, OUTBOX_KEYS.lock(entry.teamId, entry.bucket), token);
  }

  /**
   * Puts dead letters back into the outbox (all, or those with the given dead-letter entry ids),
   * as new events numbered after their destination's latest; returns how many.
   */
  async replayDeadLetters(ids?: readonly string[]): Promise<number> {
    const dead = (await this.redis.xrange(OUTBOX_KEYS.dead, '-', '+')) as RawEntry[];
    let replayed = 0;
    for (const raw of dead) {
      if (ids && !ids.includes(raw[0])) continue;
      const entry = parseEntry(raw);
      if (!entry) continue;
      await this.redis.eval(
        RECORD_SCRIPT,
        2,
        OUTBOX_KEYS.seq(entry.teamId, entry.bucket),
        OUTBOX_KEYS.stream,
        entry.teamId,
        entry.bucket,
        entry.body,
      );
      await this.redis.xdel(OUTBOX_KEYS.dead, raw[0]);
      replayed += 1;
    }
    return replayed;
  }
}
