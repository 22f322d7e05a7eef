import { randomUUID } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import { OUTBOX_KEYS } from '../keys';
import type { RedisClient } from '../redis-client';
import { waitForRedis } from '../redis-client';
import { isReplyError, storeCommand } from '../redis-errors';
import {
  entriesOf,
  parseEntry,
  parseRetry,
  type MalformedEntry,
  type NewOutboxEntry,
  type OutboxEntry,
  type RawEntry,
  type RetryState,
  type Start,
} from './outbox-entries';
import { OUTBOX_SCRIPTS } from './outbox-scripts';

export const OUTBOX_GROUP = 'delivery';

/**
 * The blocking read of new entries, on a connection of its own so that it never holds up the
 * other commands.
 */
export interface OutboxReader {
  /** Resolves once the connection answers, or rejects after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void>;
  /**
   * Entries never handed to any consumer, now `consumer`'s; waits up to `blockMs` for one to
   * come (XREADGROUP BLOCK).
   */
  readNew(
    consumer: string,
    count: number,
    blockMs: number,
  ): Promise<(OutboxEntry | MalformedEntry)[]>;
  close(): void;
}

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
   * The blocking read's own connection, allowed to wait `blockMs` and a little more for an answer.
   */
  openReader(blockMs: number): OutboxReader {
    const commandTimeout = blockMs + 2000;
    const reader: RedisClient =
      this.redis instanceof Cluster
        ? this.redis.duplicate([], {
            redisOptions: { ...this.redis.options.redisOptions, commandTimeout },
          })
        : (this.redis as Redis).duplicate({ commandTimeout });
    return {
      ready: (timeoutMs) => waitForRedis(reader, timeoutMs),
      readNew: async (consumer, count, wait) =>
        entriesOf(
          await reader.xreadgroup(
            'GROUP',
            OUTBOX_GROUP,
            consumer,
            'COUNT',
            count,
            'BLOCK',
            wait,
            'STREAMS',
            OUTBOX_KEYS.stream,
            '>',
          ),
        ),
      close: () => reader.disconnect(),
    };
  }

  /** Events waiting in the delivery stream, and dead letters kept. */
  async depth(): Promise<{ pending: number; deadLetters: number }> {
    const [pending, deadLetters] = await Promise.all([
      this.redis.xlen(OUTBOX_KEYS.stream),
      this.redis.xlen(OUTBOX_KEYS.dead),
    ]);
    return { pending, deadLetters };
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
    const [ownPending, claimed] = (await OUTBOX_SCRIPTS.claimFromDead.run(
      this.redis,
      [OUTBOX_KEYS.stream],
      [OUTBOX_GROUP, consumer, deadAfterMs, count],
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
    const [state, rawRetry] = (await OUTBOX_SCRIPTS.start.run(
      this.redis,
      [
        OUTBOX_KEYS.sent(entry.teamId, entry.bucket),
        OUTBOX_KEYS.lock(entry.teamId, entry.bucket),
        OUTBOX_KEYS.retries,
        OUTBOX_KEYS.stream,
      ],
      [
        entry.seq,
        entry.replay ? '1' : '',
        entry.entryId,
        token,
        times.lockMs,
        Math.floor(times.nowMs),
        OUTBOX_GROUP,
        times.deadAfterMs,
      ],
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
    await OUTBOX_SCRIPTS.finish.run(
      this.redis,
      [
        OUTBOX_KEYS.sent(entry.teamId, entry.bucket),
        OUTBOX_KEYS.stream,
        OUTBOX_KEYS.retries,
        OUTBOX_KEYS.dead,
        OUTBOX_KEYS.lock(entry.teamId, entry.bucket),
      ],
      [entry.replay ? 0 : entry.seq, OUTBOX_GROUP, entry.entryId, deadReason, token],
    );
  }

  /** An entry the delivery cannot use: kept as a dead letter, out of the stream. */
  async discard(entry: MalformedEntry): Promise<void> {
    await OUTBOX_SCRIPTS.finish.run(
      this.redis,
      [
        OUTBOX_KEYS.sent('', ''),
        OUTBOX_KEYS.stream,
        OUTBOX_KEYS.retries,
        OUTBOX_KEYS.dead,
        OUTBOX_KEYS.lock('', ''),
      ],
      [0, OUTBOX_GROUP, entry.entryId, entry.problem, ''],
    );
  }

  /** A failed attempt: records when to try again and releases the destination's lock. */
  async failed(entry: OutboxEntry, token: string, retry: RetryState): Promise<void> {
    await OUTBOX_SCRIPTS.failed.run(
      this.redis,
      [OUTBOX_KEYS.retries, OUTBOX_KEYS.lock(entry.teamId, entry.bucket)],
      [entry.entryId, JSON.stringify(retry), token],
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
      await OUTBOX_SCRIPTS.replay.run(
        this.redis,
        [OUTBOX_KEYS.dead, OUTBOX_KEYS.stream],
        [raw[0], entry.teamId, entry.bucket, entry.seq, entry.body],
      );
      replayed += 1;
    }
    return replayed;
  }
}
