import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/logger';
import type { MalformedEntry, OutboxEntry, OutboxReader, RetryState, Start } from '../store/outbox';
import { DeliveryLanes } from './delivery-lanes';
import { EventSigner } from './signing';
import { postEvent, type PostOutcome } from './webhook-post';

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

/** The delivery outbox, as the delivery works it (src/store/outbox's RedisOutbox). */
export interface DeliveryOutbox {
  ensureGroup(): Promise<void>;
  openReader(blockMs: number): OutboxReader;
  readOwn(
    consumer: string,
    after: string,
    count: number,
  ): Promise<(OutboxEntry | MalformedEntry)[]>;
  claimFromDead(
    consumer: string,
    deadAfterMs: number,
    count: number,
  ): Promise<{ claimed: (OutboxEntry | MalformedEntry)[]; ownPending: number }>;
  start(
    entry: OutboxEntry,
    consumer: string,
    times: { lockMs: number; nowMs: number; deadAfterMs: number },
  ): Promise<Start & { token: string }>;
  finish(entry: OutboxEntry, token?: string, deadReason?: string): Promise<void>;
  discard(entry: MalformedEntry): Promise<void>;
  failed(entry: OutboxEntry, token: string, retry: RetryState): Promise<void>;
}

export interface Delivery {
  /** Stops reading; the POSTs under way complete. What is not finished waits for a replica. */
  stop(): Promise<void>;
}

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
export function startDelivery(outbox: DeliveryOutbox, options: DeliveryOptions): Delivery {
  const delivery = new OutboxDelivery(outbox, options);
  delivery.start();
  return delivery;
}

type Settings = Required<Omit<DeliveryOptions, 'logger' | 'url' | 'secrets'>>;

function settingsOf(options: DeliveryOptions): Settings {
  return {
    consumer: options.consumer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    concurrency: options.concurrency ?? 16,
    blockMs: options.blockMs ?? 1000,
    deadAfterMs: options.deadAfterMs ?? 5000,
    claimEveryMs: options.claimEveryMs ?? 1000,
    tickMs: options.tickMs ?? 25,
    recheckMs: options.recheckMs ?? 200,
    backoffBaseMs: options.backoffBaseMs ?? 1000,
    backoffCapMs: options.backoffCapMs ?? 30_000,
    giveUpAfterMs: options.giveUpAfterMs ?? 24 * 3600_000,
    timeoutMs: options.timeoutMs ?? 10_000,
    batch: options.batch ?? 100,
    maxHeld: options.maxHeld ?? 10_000,
    now: options.now ?? Date.now,
  };
}

class OutboxDelivery implements Delivery {
  private readonly settings: Settings;
  private readonly log: Logger;
  private readonly signer: EventSigner;
  private readonly stopping = new AbortController();
  private readonly reader: OutboxReader;
  private readonly lanes: DeliveryLanes;
  /** Every entry id this replica works on (malformed ones too, until kept as dead letters). */
  private readonly held = new Set<string>();
  private tick?: NodeJS.Timeout;
  private loops?: Promise<void>;

  constructor(
    private readonly outbox: DeliveryOutbox,
    private readonly options: DeliveryOptions,
  ) {
    this.settings = settingsOf(options);
    this.log = options.logger;
    this.signer = new EventSigner(options.secrets);
    this.reader = outbox.openReader(this.settings.blockMs);
    this.lanes = new DeliveryLanes(
      this.settings.concurrency,
      this.settings.now,
      (entry) => this.sendFirst(entry),
      (entry) => this.held.delete(entry.entryId),
    );
  }

  start(): void {
    this.tick = setInterval(() => this.lanes.wakeDue(), this.settings.tickMs);
    this.tick.unref();
    this.loops = (async () => {
      try {
        await this.outbox.ensureGroup();
        await this.reader.ready(5000);
        await this.readOwn();
      } catch (error) {
        this.log.error({ err: error }, 'webhook: reading the outbox failed');
      }
      await Promise.all([this.readLoop(), this.claimLoop()]);
    })();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    clearInterval(this.tick);
    this.reader.close();
    await this.loops;
    await this.lanes.stop();
  }

  private take(found: readonly (OutboxEntry | MalformedEntry)[]): void {
    for (const entry of found) {
      if (this.held.has(entry.entryId)) continue;
      this.held.add(entry.entryId);
      if ('problem' in entry) this.discard(entry);
      else this.lanes.add(entry);
    }
    this.lanes.pump();
  }

  private discard(entry: MalformedEntry): void {
    const where = { entryId: entry.entryId, problem: entry.problem };
    this.log.error(where, 'webhook: dead letter kept');
    this.outbox
      .discard(entry)
      .then(() => this.held.delete(entry.entryId))
      .catch((error: unknown) =>
        this.log.error({ err: error, ...where }, 'webhook: keeping it failed'),
      );
  }

  /** One try at a destination's first entry: undefined once finished, else when to look again. */
  private async sendFirst(entry: OutboxEntry): Promise<number | undefined> {
    const { consumer, deadAfterMs, now, recheckMs, timeoutMs } = this.settings;
    try {
      const start = await this.outbox.start(entry, consumer, {
        lockMs: timeoutMs + 5000,
        nowMs: now(),
        deadAfterMs,
      });
      const { token } = start;
      if (start.state === 'done') {
        await this.outbox.finish(entry);
        return undefined;
      }
      if (start.state === 'waiting' || start.state === 'busy') return now() + recheckMs;
      if (start.state === 'later') return start.retry.nextAt;
      const outcome = await postEvent(this.options.url, this.signer, entry, timeoutMs);
      if (outcome.kind === 'delivered') {
        await this.outbox.finish(entry, token);
        return undefined;
      }
      return await this.failed(entry, token, outcome, start.retry);
    } catch (error) {
      this.log.error({ err: error, entryId: entry.entryId }, 'webhook: the outbox did not answer');
      return now() + Math.max(recheckMs, 1000);
    }
  }

  /** After a failed POST: a dead letter (410, or failing for too long), or a retry later. */
  private async failed(
    entry: OutboxEntry,
    token: string,
    outcome: Exclude<PostOutcome, { kind: 'delivered' }>,
    retry: RetryState | undefined,
  ): Promise<number | undefined> {
    const { now, backoffBaseMs, backoffCapMs, giveUpAfterMs } = this.settings;
    const attempts = (retry?.attempts ?? 0) + 1;
    const where = { entryId: entry.entryId, teamId: entry.teamId, bucket: entry.bucket, attempts };
    const firstFailedAt = retry?.firstFailedAt ?? now();
    if (outcome.kind === 'refused' || now() - firstFailedAt >= giveUpAfterMs) {
      const reason =
        outcome.kind === 'refused'
          ? outcome.reason
          : `${attempts} attempts, last: ${outcome.reason}`;
      this.log.error(
        { ...where, failure: outcome.reason },
        'webhook: gave up on an event; dead letter kept',
      );
      await this.outbox.finish(entry, token, reason);
      return undefined;
    }
    const delayMs = Math.min(backoffBaseMs * 2 ** (attempts - 1), backoffCapMs);
    const nextAt = now() + delayMs;
    await this.outbox.failed(entry, token, {
      attempts,
      firstFailedAt,
      nextAt,
      lastError: outcome.reason,
    });
    this.log.warn(
      { ...where, failure: outcome.reason, retryInMs: delayMs },
      'webhook: delivery failed',
    );
    return nextAt;
  }

  /** Reads this consumer's own unacknowledged entries (after a restart under the same name). */
  private async readOwn(): Promise<void> {
    let after = '0';
    for (;;) {
      const found = await this.outbox.readOwn(this.settings.consumer, after, this.settings.batch);
      if (found.length === 0) return;
      this.take(found);
      after = found[found.length - 1].entryId;
    }
  }

  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }

  /** New entries the moment they are appended, by a blocking read. */
  private async readLoop(): Promise<void> {
    const { consumer, batch, blockMs, maxHeld } = this.settings;
    let failing = false;
    while (!this.stopping.signal.aborted) {
      try {
        if (this.held.size >= maxHeld) {
          // Read nothing new, but be seen, so that no replica takes these entries away.
          await this.outbox.readOwn(consumer, '0', 1);
          await this.pause(blockMs);
          continue;
        }
        this.take(await this.reader.readNew(consumer, batch, blockMs));
        failing = false;
      } catch (error) {
        if (this.stopping.signal.aborted) return;
        if (!failing) this.log.error({ err: error }, 'webhook: reading the outbox failed');
        failing = true;
        await this.outbox.ensureGroup().catch(() => undefined);
        await this.pause(1000);
      }
    }
  }

  /** Takes over what unseen (dead) replicas held, and what this one holds but lost track of. */
  private async claimLoop(): Promise<void> {
    const { consumer, deadAfterMs, batch, claimEveryMs } = this.settings;
    while (!this.stopping.signal.aborted) {
      try {
        let more = true;
        while (more && !this.stopping.signal.aborted) {
          const { claimed, ownPending } = await this.outbox.claimFromDead(
            consumer,
            deadAfterMs,
            batch,
          );
          this.take(claimed);
          more = claimed.length >= batch;
          if (!more && ownPending > this.held.size) await this.readOwn();
        }
      } catch (error) {
        this.log.error({ err: error }, 'webhook: taking over entries failed');
      }
      await this.pause(claimEveryMs);
    }
  }
}
