import { hostname } from 'node:os';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/logger';
import { waitForRedis } from '../store/redis';
import type { MalformedEntry, OutboxEntry, RedisOutbox } from './outbox';
import { EventSigner } from './signing';
import { postEvent } from './webhook-post';

export interface DeliveryOptions {
  readonly url: string;
  /** The `whsec_…` secrets; each signs every event. */
  readonly secrets: readonly string[];
  readonly logger: Logger;
  /** This replica's name in the consumer group; default host, pid and a random part. */
  readonly consumer?: string;
  /** How many destinations are sent to at once; default 16. */
  readonly concurrency?: number;
  /** How long one blocking read of the stream waits for an entry; default 1 s. */
  readonly blockMs?: number;
  /**
   * How long a consumer goes unseen before its entries move to a live one. A live replica is seen
   * at each blocking read, so keep it several times `blockMs`; default 5 s.
   */
  readonly deadAfterMs?: number;
  /** How often unseen consumers' entries are looked for; default 1 s. */
  readonly claimEveryMs?: number;
  /** How often retries coming due are looked for (in memory, against `now`); default 25 ms. */
  readonly tickMs?: number;
  /** How soon a destination waiting for an event another replica holds looks again; default 200 ms. */
  readonly recheckMs?: number;
  /** The first retry's delay, doubled on each failure; default 1 s. */
  readonly backoffBaseMs?: number;
  /** The longest delay between two tries; default 30 s. */
  readonly backoffCapMs?: number;
  /** How long a failing event is retried before it becomes a dead letter; default 24 h. */
  readonly giveUpAfterMs?: number;
  /** One POST's time limit; default 10 s. */
  readonly timeoutMs?: number;
  /** Entries read at once; default 100. */
  readonly batch?: number;
  /** Entries this replica holds before it stops reading new ones; default 10 000. */
  readonly maxHeld?: number;
  readonly now?: () => number;
}

export interface Delivery {
  /** Stops reading; the POSTs under way complete. What is not finished waits for a replica. */
  stop(): Promise<void>;
}

/** One destination's entries held by this replica, sent one at a time in `seq` order. */
interface Lane {
  readonly entries: OutboxEntry[];
  /** When to look at the first entry again (delivery clock); 0: now. */
  wakeAt: number;
  /** Running, or in the ready queue. */
  busy: boolean;
  queued: boolean;
  /** An entry arrived while the lane was running: look again before going to sleep. */
  poked: boolean;
}

const bySeq = (a: OutboxEntry, b: OutboxEntry) =>
  a.seq - b.seq || a.entryId.localeCompare(b.entryId);

/**
 * Delivers the outbox to the loader's webhook: at least once, in order per destination, and
 * destinations side by side, whichever replica runs it.
 *
 * New entries come by a blocking read (XREADGROUP BLOCK, on a connection of its own) the moment
 * they are appended. The consumer group hands each entry to one replica; each replica sends its
 * destinations concurrently (up to `concurrency`), one event at a time per destination, so a
 * receiver hanging on one destination holds up only that one. Order holds across replicas because
 * an event goes only once its destination's previous seq is finished (delivered, or dead after
 * `giveUpAfterMs`), under the destination's lock; a seq already finished (an entry appended
 * twice) is acknowledged without a POST. At least once holds because an entry is acknowledged
 * only after a 2xx, and a replica unseen for `deadAfterMs` (it died) loses its entries to a live
 * one. A crash between the receiver's 2xx and the acknowledgement sends the event again: its id
 * lets the receiver drop it.
 */
export function startDelivery(outbox: RedisOutbox, options: DeliveryOptions): Delivery {
  const consumer =
    options.consumer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const concurrency = options.concurrency ?? 16;
  const blockMs = options.blockMs ?? 1000;
  const deadAfterMs = options.deadAfterMs ?? 5000;
  const claimEveryMs = options.claimEveryMs ?? 1000;
  const recheckMs = options.recheckMs ?? 200;
  const base = options.backoffBaseMs ?? 1000;
  const cap = options.backoffCapMs ?? 30_000;
  const giveUpAfterMs = options.giveUpAfterMs ?? 24 * 3600_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const batch = options.batch ?? 100;
  const maxHeld = options.maxHeld ?? 10_000;
  const now = options.now ?? Date.now;
  const log = options.logger;
  const signer = new EventSigner(options.secrets);
  const stopping = new AbortController();
  const reader = outbox.openReader(blockMs);

  const lanes = new Map<string, Lane>();
  /** Every entry id this replica works on (malformed ones too, until kept as dead letters). */
  const held = new Set<string>();
  const ready: Lane[] = [];
  const running = new Set<Promise<void>>();

  function enqueue(lane: Lane): void {
    if (lane.busy || lane.queued) return;
    lane.queued = true;
    ready.push(lane);
  }

  function pump(): void {
    while (!stopping.signal.aborted && running.size < concurrency && ready.length > 0) {
      const lane = ready.shift()!;
      lane.queued = false;
      if (lane.busy || lane.entries.length === 0) continue;
      lane.busy = true;
      const work: Promise<void> = drain(lane).finally(() => {
        lane.busy = false;
        running.delete(work);
        if (lane.wakeAt <= now()) enqueue(lane);
        pump();
      });
      running.add(work);
    }
  }

  function take(found: readonly (OutboxEntry | MalformedEntry)[]): void {
    for (const entry of found) {
      if (held.has(entry.entryId)) continue;
      held.add(entry.entryId);
      if ('problem' in entry) {
        log.error({ entryId: entry.entryId, problem: entry.problem }, 'webhook: dead letter kept');
        outbox
          .discard(entry)
          .then(() => held.delete(entry.entryId))
          .catch((error: unknown) => log.error({ err: error }, 'webhook: keeping it failed'));
        continue;
      }
      const key = `${entry.teamId}\n${entry.bucket}`;
      let lane = lanes.get(key);
      if (!lane) {
        lane = { entries: [], wakeAt: 0, busy: false, queued: false, poked: false };
        lanes.set(key, lane);
      }
      lane.entries.push(entry);
      lane.entries.sort(bySeq);
      lane.wakeAt = 0;
      lane.poked = true;
      enqueue(lane);
    }
    pump();
  }

  /** Sends the lane's entries in order until one must wait; notes when to look again. */
  async function drain(lane: Lane): Promise<void> {
    while (!stopping.signal.aborted && lane.entries.length > 0) {
      const entry = lane.entries[0];
      lane.poked = false;
      let wakeAt: number | undefined;
      try {
        wakeAt = await attempt(entry);
      } catch (error) {
        log.error({ err: error, entryId: entry.entryId }, 'webhook: the outbox did not answer');
        wakeAt = now() + Math.max(recheckMs, 1000);
      }
      if (wakeAt === undefined) {
        lane.entries.splice(lane.entries.indexOf(entry), 1);
        held.delete(entry.entryId);
      } else if (!lane.poked) {
        lane.wakeAt = wakeAt;
        return;
      }
    }
    if (lane.entries.length === 0) {
      for (const [key, value] of lanes) if (value === lane) lanes.delete(key);
    }
  }

  /** One try at the entry: undefined once it is finished, else when to look at it again. */
  async function attempt(entry: OutboxEntry): Promise<number | undefined> {
    const token = randomUUID();
    const start = await outbox.start(entry, token, timeoutMs + 5000, now());
    if (start.state === 'done') {
      await outbox.finish(entry);
      return undefined;
    }
    if (start.state === 'waiting' || start.state === 'busy') return now() + recheckMs;
    if (start.state === 'later') return start.retry.nextAt;
    const outcome = await postEvent(options.url, signer, entry, timeoutMs);
    if (outcome.kind === 'delivered') {
      await outbox.finish(entry, token);
      return undefined;
    }
    const where = { entryId: entry.entryId, teamId: entry.teamId, bucket: entry.bucket };
    const attempts = (start.retry?.attempts ?? 0) + 1;
    if (outcome.kind === 'refused') {
      log.error({ ...where, attempts, failure: outcome.reason }, 'webhook: dead letter kept');
      await outbox.finish(entry, token, outcome.reason);
      return undefined;
    }
    const firstFailedAt = start.retry?.firstFailedAt ?? now();
    if (now() - firstFailedAt >= giveUpAfterMs) {
      const reason = `${attempts} attempts, last: ${outcome.reason}`;
      log.error(
        { ...where, attempts, failure: outcome.reason },
        'webhook: gave up on an event; dead letter kept',
      );
      await outbox.finish(entry, token, reason);
      return undefined;
    }
    const delayMs = Math.min(base * 2 ** (attempts - 1), cap);
    const nextAt = now() + delayMs;
    await outbox.failed(entry, token, {
      attempts,
      firstFailedAt,
      nextAt,
      lastError: outcome.reason,
    });
    log.warn(
      { ...where, attempts, failure: outcome.reason, retryInMs: delayMs },
      'webhook: delivery failed',
    );
    return nextAt;
  }

  /** Reads `consumer`'s own unacknowledged entries (after a restart under the same name). */
  async function readOwn(): Promise<void> {
    let after = '0';
    for (;;) {
      const found = await outbox.readOwn(consumer, after, batch);
      if (found.length === 0) return;
      take(found);
      after = found[found.length - 1].entryId;
    }
  }

  const pause = (ms: number) =>
    sleep(ms, undefined, { signal: stopping.signal }).catch(() => undefined);

  async function readLoop(): Promise<void> {
    let failing = false;
    while (!stopping.signal.aborted) {
      try {
        if (held.size >= maxHeld) {
          // Read nothing new, but be seen, so that no replica takes these entries away.
          await outbox.readOwn(consumer, '0', 1);
          await pause(blockMs);
          continue;
        }
        take(await outbox.readNew(reader, consumer, batch, blockMs));
        failing = false;
      } catch (error) {
        if (stopping.signal.aborted) return;
        if (!failing) log.error({ err: error }, 'webhook: reading the outbox failed');
        failing = true;
        await outbox.ensureGroup().catch(() => undefined);
        await pause(1000);
      }
    }
  }

  /** Takes over what unseen (dead) replicas held, and what this one holds but lost track of. */
  async function claimLoop(): Promise<void> {
    while (!stopping.signal.aborted) {
      try {
        let more = true;
        while (more && !stopping.signal.aborted) {
          const { claimed, ownPending } = await outbox.claimFromDead(consumer, deadAfterMs, batch);
          take(claimed);
          more = claimed.length >= batch;
          if (!more && ownPending > held.size) await readOwn();
        }
      } catch (error) {
        log.error({ err: error }, 'webhook: taking over entries failed');
      }
      await pause(claimEveryMs);
    }
  }

  const tick = setInterval(() => {
    const at = now();
    for (const lane of lanes.values()) {
      if (lane.entries.length > 0 && lane.wakeAt <= at) enqueue(lane);
    }
    pump();
  }, options.tickMs ?? 25);
  tick.unref();

  const loops = (async () => {
    try {
      await outbox.ensureGroup();
      await waitForRedis(reader, 5000);
      await readOwn();
    } catch (error) {
      log.error({ err: error }, 'webhook: reading the outbox failed');
    }
    await Promise.all([readLoop(), claimLoop()]);
  })();

  return {
    async stop() {
      stopping.abort();
      clearInterval(tick);
      reader.disconnect();
      await loops;
      await Promise.all([...running]);
    },
  };
}
