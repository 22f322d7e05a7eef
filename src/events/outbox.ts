import { randomUUID } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import { z } from 'zod';
import { isReplyError, storeCommand } from '../store/redis-errors';
import type { RedisClient } from '../store/redis-client';
import { OUTBOX_SCRIPTS } from './outbox-scripts';

/**
 * Every outbox key shares the `{outbox}` hash tag, so each script below touches one Cluster slot.
 * The stream is the durable log the delivery reads: an event is in it until it was delivered (or
 * kept as a dead letter), and the consumer group hands each entry to one replica at a time.
 */
export const OUTBOX_KEYS = {
  stream: 's3d:{outbox}:events',
  dead: 's3d:{outbox}:dead',
  retries: 's3d:{outbox}:retries',
  /** The highest `seq` of the destination that was delivered or given up on. */
  sent: (teamId: string, bucket: string) => `s3d:{outbox}:sent:${teamId}:${bucket}`,
  lock: (teamId: string, bucket: string) => `s3d:{outbox}:lock:${teamId}:${bucket}`,
} as const;
export const OUTBOX_GROUP = 'delivery';

/** What goes into the stream: one event of one destination. */
export interface NewOutboxEntry {
  readonly teamId: string;
  readonly bucket: string;
  /** The event's `sequence`: 1, 2, 3… per destination, without gaps. */
  readonly seq: number;
  /** The event's JSON, exactly as it is POSTed. */
  readonly body: string;
}

/** One entry of the stream, as the delivery reads it. */
export interface OutboxEntry extends NewOutboxEntry {
  /** The stream entry id. */
  readonly entryId: string;
  /** The event's `id`: the `webhook-id` of its deliveries. */
  readonly eventId: string;
  /** A dead letter put back: sent again although its destination has moved past its seq. */
  readonly replay: boolean;
}

/** An entry the delivery cannot use (a field missing, a body without an id): kept as a dead letter. */
export interface MalformedEntry {
  readonly entryId: string;
  readonly problem: string;
}

/** Where a failing event stands: kept in Redis so that whichever replica retries it goes on. */
export const retryStateSchema = z.object({
  attempts: z.number().int().positive(),
  firstFailedAt: z.number(),
  nextAt: z.number(),
  lastError: z.string(),
});
export type RetryState = z.infer<typeof retryStateSchema>;

/** What a delivery attempt may do with an entry, decided by the destination's state in Redis. */
export type Start =
  | { readonly state: 'done' } // its seq was delivered already: a duplicate
  | { readonly state: 'waiting' } // an earlier event of the destination is not finished
  | { readonly state: 'busy' } // another replica is sending this destination's event
  | { readonly state: 'later'; readonly retry: RetryState } // its next retry is not due
  | { readonly state: 'go'; readonly retry?: RetryState }; // the lock is ours: send it

type RawEntry = [string, string[] | null];
const eventIdSchema = z.object({ id: z.string().min(1) });

/** Parses a stream entry; what cannot be delivered comes back as a MalformedEntry. */
export function parseEntry([entryId, fields]: RawEntry): OutboxEntry | MalformedEntry {
  const value: Record<string, string> = {};
  for (let i = 0; i + 1 < (fields?.length ?? 0); i += 2) value[fields![i]] = fields![i + 1];
  const seq = Number(value.seq);
  if (!value.team || !value.bucket || !Number.isSafeInteger(seq) || seq < 1 || !value.event) {
    return { entryId, problem: 'malformed entry: team, bucket, seq or event missing' };
  }
  let eventId: string;
  try {
    eventId = eventIdSchema.parse(JSON.parse(value.event)).id;
  } catch {
    return { entryId, problem: 'malformed entry: the event is not JSON with an id' };
  }
  const { team: teamId, bucket, event: body } = value;
  return { entryId, teamId, bucket, seq, body, eventId, replay: value.replay === '1' };
}

/** Stream entry ids in order: milliseconds, then sequence. */
export function compareEntryIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split('-').map(Number);
  const [bMs, bSeq] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

/** The entries of an XREADGROUP reply on the one stream. */
const entriesOf = (reply: unknown) =>
  ((reply as [string, RawEntry[]][] | null)?.[0]?.[1] ?? []).map(parseEntry);

const parseRetry = (raw: string | undefined) => {
  if (!raw) return undefined;
  const parsed = retryStateSchema.safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data : undefined;
};

/** The change events' outbox: a Redis Stream read by a consumer group. */
export class RedisOutbox {
  constructor(private readonly redis: RedisClient) {}

  /** Appends one event to the delivery stream as it is (no numbering); resolves with its entry id. */
  async append(entry: NewOutboxEntry): Promise<string> {
    const key = OUTBOX_KEYS.stream;
    const id = await storeCommand(key, () =>
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
    return String(id);
  }

  /** Creates the consumer group (reading from the start of the stream) unless it exists. */
  async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', OUTBOX_KEYS.stream, OUTBOX_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!isReplyError(error, 'BUSYGROUP')) throw error;
    }
  }

  /**
   * A connection of its own for the blocking read, so that it never holds up the other commands,
   * allowed to wait `blockMs` and a little more for an answer.
   */
  openReader(blockMs: number): RedisClient {
    const commandTimeout = blockMs + 2000;
    if (this.redis instanceof Cluster) {
      return this.redis.duplicate([], {
        redisOptions: { ...this.redis.options.redisOptions, commandTimeout },
      });
    }
    return (this.redis as Redis).duplicate({ commandTimeout });
  }

  /**
   * Entries never handed to any consumer, now `consumer`'s; waits up to `blockMs` for one to come
   * (XREADGROUP BLOCK) on `reader`, the connection of `openReader`.
   */
  async readNew(
    reader: RedisClient,
    consumer: string,
    count: number,
    blockMs: number,
  ): Promise<(OutboxEntry | MalformedEntry)[]> {
    const reply = await reader.xreadgroup(
      'GROUP',
      OUTBOX_GROUP,
      consumer,
      'COUNT',
      count,
      'BLOCK',
      blockMs,
      'STREAMS',
      OUTBOX_KEYS.stream,
      '>',
    );
    return entriesOf(reply);
  }

  /** `consumer`'s own unacknowledged entries past the entry id `after`, oldest first. */
  async readOwn(
    consumer: string,
    after: string,
    count: number,
  ): Promise<(OutboxEntry | MalformedEntry)[]> {
    const reply = await this.redis.xreadgroup(
      'GROUP',
      OUTBOX_GROUP,
      consumer,
      'COUNT',
      count,
      'STREAMS',
      OUTBOX_KEYS.stream,
      after,
    );
    return entriesOf(reply);
  }

  /**
   * Makes `consumer` the owner of (at most `count`) entries held by consumers not seen for
   * `deadAfterMs` (their process died: a live one is seen each time its blocking read returns),
   * and forgets such consumers once they hold nothing. Also says how many entries `consumer` holds.
   */
  async claimFromDead(
    consumer: string,
    deadAfterMs: number,
    count: number,
  ): Promise<{ claimed: (OutboxEntry | MalformedEntry)[]; ownPending: number }> {
    const [ownPending, claimed] = (await this.redis.eval(
      OUTBOX_SCRIPTS.claimFromDead,
      1,
      OUTBOX_KEYS.stream,
      OUTBOX_GROUP,
      consumer,
      deadAfterMs,
      count,
    )) as [number, RawEntry[]];
    return { claimed: claimed.map(parseEntry), ownPending };
  }

  /**
   * Decides, in one step, whether `entry` may be sent now; when it may, takes the destination's
   * lock for `lockMs` so that no other replica sends the destination meanwhile. The lock's token
   * names `consumer`, so that another replica may take the lock over once `consumer` has been
   * unseen for `deadAfterMs` (it died mid-POST). Returns the token with the decision.
   */
  async start(
    entry: OutboxEntry,
    consumer: string,
    times: { lockMs: number; nowMs: number; deadAfterMs: number },
  ): Promise<Start & { token: string }> {
    const token = `${consumer} ${randomUUID()}`;
    const [state, rawRetry] = (await this.redis.eval(
      OUTBOX_SCRIPTS.start,
      4,
      OUTBOX_KEYS.sent(entry.teamId, entry.bucket),
      OUTBOX_KEYS.lock(entry.teamId, entry.bucket),
      OUTBOX_KEYS.retries,
      OUTBOX_KEYS.stream,
      entry.seq,
      entry.replay ? '1' : '',
      entry.entryId,
      token,
      times.lockMs,
      Math.floor(times.nowMs),
      OUTBOX_GROUP,
      times.deadAfterMs,
    )) as [Start['state'], string | undefined];
    const retry = parseRetry(rawRetry);
    if (state === 'later' && retry) return { state, retry, token };
    if (state === 'go') return retry ? { state, retry, token } : { state, token };
    // A retry state it cannot read: look again.
    if (state === 'later') return { state: 'busy', token };
    return { state, token } as Start & { token: string };
  }

  /**
   * Done with the entry: delivered, a duplicate, or (with `deadReason`) given up on and kept as a
   * dead letter. Marks its seq sent (so the destination's next event may go), acknowledges and
   * deletes the entry and releases the lock held with `token`: all or nothing.
   */
  async finish(entry: OutboxEntry, token = '', deadReason = ''): Promise<void> {
    await this.redis.eval(
      OUTBOX_SCRIPTS.finish,
      5,
      OUTBOX_KEYS.sent(entry.teamId, entry.bucket),
      OUTBOX_KEYS.stream,
      OUTBOX_KEYS.retries,
      OUTBOX_KEYS.dead,
      OUTBOX_KEYS.lock(entry.teamId, entry.bucket),
      entry.replay ? 0 : entry.seq,
      OUTBOX_GROUP,
      entry.entryId,
      deadReason,
      token,
    );
  }

  /** An entry the delivery cannot use: kept as a dead letter, out of the stream. */
  async discard(entry: MalformedEntry): Promise<void> {
    await this.redis.eval(
      OUTBOX_SCRIPTS.finish,
      5,
      OUTBOX_KEYS.sent('', ''),
      OUTBOX_KEYS.stream,
      OUTBOX_KEYS.retries,
      OUTBOX_KEYS.dead,
      OUTBOX_KEYS.lock('', ''),
      0,
      OUTBOX_GROUP,
      entry.entryId,
      entry.problem,
      '',
    );
  }

  /** A failed attempt: records when to try again and releases the destination's lock. */
  async failed(entry: OutboxEntry, token: string, retry: RetryState): Promise<void> {
    await this.redis.eval(
      OUTBOX_SCRIPTS.failed,
      2,
      OUTBOX_KEYS.retries,
      OUTBOX_KEYS.lock(entry.teamId, entry.bucket),
      entry.entryId,
      JSON.stringify(retry),
      token,
    );
  }

  /** Where a failing entry stands, if it failed. */
  async retryState(entryId: string): Promise<RetryState | undefined> {
    return parseRetry((await this.redis.hget(OUTBOX_KEYS.retries, entryId)) ?? undefined);
  }

  /**
   * Puts dead letters back into the stream (all, or those with the given dead-letter entry ids):
   * the same events, same id and sequence, sent again even though their destination has moved
   * on (a receiver keeps the highest sequence it has, so an old one changes nothing there).
   * Returns how many.
   */
  async replayDeadLetters(ids?: readonly string[]): Promise<number> {
    const dead = (await this.redis.xrange(OUTBOX_KEYS.dead, '-', '+')) as RawEntry[];
    let replayed = 0;
    for (const raw of dead) {
      if (ids && !ids.includes(raw[0])) continue;
      const entry = parseEntry(raw);
      if ('problem' in entry) continue;
      await this.redis.eval(
        OUTBOX_SCRIPTS.replay,
        2,
        OUTBOX_KEYS.dead,
        OUTBOX_KEYS.stream,
        raw[0],
        entry.teamId,
        entry.bucket,
        entry.seq,
        entry.body,
      );
      replayed += 1;
    }
    return replayed;
  }
}
