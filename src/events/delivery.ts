import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/logger';
import type { OutboxEntry, RedisOutbox } from './outbox';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signEvent } from './signature';

export interface DeliveryOptions {
  readonly url: string;
  readonly secret: string;
  readonly logger: Logger;
  /** This replica's name in the consumer group; default host, pid and a random part. */
  readonly consumer?: string;
  /** How often the outbox is read when it had nothing to do; default 500 ms. */
  readonly pollMs?: number;
  /** The first retry's delay, doubled on each failure; default 1 s. */
  readonly backoffBaseMs?: number;
  /** The longest delay between two tries; default 30 s. */
  readonly backoffCapMs?: number;
  /** How long a failing event is retried before it becomes a dead letter; default 24 h. */
  readonly giveUpAfterMs?: number;
  /** How long a consumer's entries sit untouched before another replica takes them; default 60 s. */
  readonly claimIdleMs?: number;
  /** One POST's time limit; default 10 s. */
  readonly timeoutMs?: number;
  /** Entries read per round; default 100. */
  readonly batch?: number;
  readonly now?: () => number;
}

export interface Delivery {
  /** Finishes the round in progress (a POST under way completes) and stops. */
  stop(): Promise<void>;
  /** Runs one round now (tests); resolves with how many events were finished. */
  runOnce(): Promise<number>;
}

type Attempt = 'done' | 'waiting';

/**
 * Delivers the outbox to the loader's webhook: at least once, in order per destination, whichever
 * replica runs it. Order holds because an event goes only when its destination's previous one is
 * finished (delivered, or dead after 24 hours), under the destination's lock; at least once holds
 * because an entry is acknowledged only after the receiver answered 2xx, and a crashed replica's
 * unacknowledged entries are claimed by another (XAUTOCLAIM). A crash between the receiver's 2xx
 * and the acknowledgement sends that event again: the event id lets the receiver drop it.
 */
export function startDelivery(outbox: RedisOutbox, options: DeliveryOptions): Delivery {
  const consumer =
    options.consumer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const pollMs = options.pollMs ?? 500;
  const base = options.backoffBaseMs ?? 1000;
  const cap = options.backoffCapMs ?? 30_000;
  const giveUpAfterMs = options.giveUpAfterMs ?? 24 * 3600_000;
  const claimIdleMs = options.claimIdleMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const batch = options.batch ?? 100;
  const now = options.now ?? Date.now;
  const log = options.logger;
  const stopping = new AbortController();

  async function post(body: string): Promise<string | undefined> {
    const timestamp = Math.floor(now() / 1000);
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signEvent(options.secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.ok ? undefined : `HTTP ${response.status}`;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  async function attempt(entry: OutboxEntry): Promise<Attempt> {
    const delivered = await outbox.deliveredSeq(entry.teamId, entry.bucket);
    if (entry.seq <= delivered) {
      await outbox.finish(entry);
      return 'done';
    }
    // An earlier event of this destination is not finished yet (here or on another replica).
    if (entry.seq > delivered + 1) return 'waiting';
    const retry = await outbox.retryState(entry.entryId);
    if (retry && now() < retry.nextAt) return 'waiting';
    const token = await outbox.lockDestination(entry, timeoutMs + 5000);
    if (!token) return 'waiting';
    try {
      // Another replica may have finished it between the first look and the lock.
      if ((await outbox.deliveredSeq(entry.teamId, entry.bucket)) >= entry.seq) {
        await outbox.finish(entry);
        return 'done';
      }
      const failure = await post(entry.body);
      if (failure === undefined) {
        await outbox.finish(entry);
        return 'done';
      }
      const attempts = (retry?.attempts ?? 0) + 1;
      const firstFailedAt = retry?.firstFailedAt ?? now();
      const where = { entryId: entry.entryId, teamId: entry.teamId, bucket: entry.bucket };
      if (now() - firstFailedAt >= giveUpAfterMs) {
        log.error(
          { ...where, attempts, failure },
          'webhook: gave up on an event; dead letter kept',
        );
        await outbox.finish(entry, `${attempts} attempts, last: ${failure}`);
        return 'done';
      }
      const delayMs = Math.min(base * 2 ** (attempts - 1), cap);
      log.warn({ ...where, attempts, failure, retryInMs: delayMs }, 'webhook: delivery failed');
      await outbox.saveRetryState(entry.entryId, {
        attempts,
        firstFailedAt,
        nextAt: now() + delayMs,
        lastError: failure,
      });
      return 'waiting';
    } finally {
      await outbox.unlockDestination(entry, token).catch(() => undefined);
    }
  }

  async function runOnce(): Promise<number> {
    await outbox.ensureGroup();
    const entries = await outbox.nextEntries(consumer, batch, claimIdleMs);
    const waiting = new Set<string>();
    let finished = 0;
    for (const entry of entries) {
      if (stopping.signal.aborted) break;
      const destination = `${entry.teamId}/${entry.bucket}`;
      // Behind an unfinished event of the same destination: its turn comes after.
      if (waiting.has(destination)) continue;
      if ((await attempt(entry)) === 'done') finished += 1;
      else waiting.add(destination);
    }
    return finished;
  }

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      let finished = 0;
      try {
        finished = await runOnce();
      } catch (error) {
        log.error({ err: error }, 'webhook: reading the outbox failed');
      }
      if (finished === 0)
        await sleep(pollMs, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  })();

  return {
    async stop() {
      stopping.abort();
      await loop;
    },
    runOnce,
  };
}
