import { toApiDestination } from '../api/schemas';
import type { ChangeFeed } from '../destinations/changes';
import type { Logger } from '../log/logger';
import type { TeamOutboxEntry } from '../store/outbox';
import { CHANGE_TYPES, savedDestinationSchema, type ChangeType } from '../store/types';
import type { ChangeEvent } from './types';

/** Where relayed events go: the delivery outbox, read by every replica's delivery. */
export interface DeliveryStream {
  append(entry: {
    readonly teamId: string;
    readonly bucket: string;
    readonly seq: number;
    readonly body: string;
  }): Promise<string>;
}

/** Each team's change events, as the store's scripts append them with their change. */
export interface TeamOutboxes {
  /** The teams whose outbox has events left. */
  teamsWithEvents(): Promise<string[]>;
  /** Up to `count` of the team's entries after the entry id `after` ('-': from the first). */
  read(teamId: string, after: string, count: number): Promise<TeamOutboxEntry[]>;
  /** Deletes relayed entries, and the team's outbox once it is empty. */
  deleteRelayed(teamId: string, entryIds: readonly string[]): Promise<void>;
}

/** Entries moved per read of a team's outbox. */
const RELAY_BATCH = 100;
/** How often every team's outbox is looked for, to pick up what a crashed replica left. */
const DEFAULT_RESCAN_MS = 30_000;
/** A failed relay is tried again after this, doubled after each failure up to the cap. */
const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 2000;

/** A team outbox entry as the event the loader receives, or a reason it cannot be one. */
export function eventOf(
  fields: Readonly<Record<string, string>>,
): { event: ChangeEvent; bucket: string } | { problem: string } {
  const sequence = Number(fields.sequence);
  const type = fields.type as ChangeType;
  if (!fields.id || !fields.at || !fields.bucket || !Number.isSafeInteger(sequence)) {
    return { problem: 'an entry without its id, time, bucket or sequence' };
  }
  if (!CHANGE_TYPES.includes(type)) return { problem: `an unknown change type ${fields.type}` };
  let stored: unknown;
  try {
    stored = JSON.parse(fields.destination ?? '');
  } catch {
    return { problem: 'a destination that is not JSON' };
  }
  const destination = savedDestinationSchema.safeParse(stored);
  if (!destination.success) return { problem: 'a destination that does not parse' };
  return {
    bucket: fields.bucket,
    event: {
      id: fields.id,
      type,
      occurred_at: fields.at,
      sequence,
      destination: toApiDestination(destination.data),
    },
  };
}

/**
 * Moves change events from each team's outbox, where the store's scripts append them with their
 * change, to the delivery outbox. Two slots cannot change in one step on a Redis Cluster, so the
 * move is at least once: an entry is deleted from the team's outbox only after it was appended to
 * the delivery outbox, and a crash between the two sends it twice, with the same id and sequence
 * (the delivery drops the second). The process that made a change relays it at once, and a relay
 * that fails (Redis away) is tried again after 200 ms, doubling up to 2 s, until it succeeds, so
 * its events leave within seconds of Redis answering again; every replica also looks for
 * left-over outboxes (what a crashed replica left) at start and every `rescanMs`.
 */
export class EventRelay implements ChangeFeed {
  /** Per team: the relay running now, and whether another change came meanwhile. */
  private readonly running = new Map<string, { again: boolean; done: Promise<void> }>();
  /** Per team whose last relay failed: how many in a row, and the next try's timer. */
  private readonly retries = new Map<string, { failures: number; timer: NodeJS.Timeout }>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly outboxes: TeamOutboxes,
    private readonly stream: DeliveryStream,
    private readonly logger: Logger,
  ) {}

  changed(teamId: string): void {
    void this.relay(teamId);
  }

  /**
   * Relays the team's outbox until it is empty; resolves (never rejects) once this pass is over.
   * A pass that fails is tried again shortly (retryLater).
   */
  relay(teamId: string): Promise<void> {
    const current = this.running.get(teamId);
    if (current) {
      current.again = true;
      return current.done;
    }
    const state = { again: false, done: Promise.resolve() };
    state.done = (async () => {
      try {
        do {
          state.again = false;
          await this.relayTeam(teamId);
        } while (state.again && !this.stopped);
        this.relayed(teamId);
      } catch (error) {
        this.retryLater(teamId, error);
      } finally {
        this.running.delete(teamId);
      }
    })();
    this.running.set(teamId, state);
    return state.done;
  }

  /** The team's outbox was relayed: a try still planned is no longer needed. */
  private relayed(teamId: string): void {
    const retry = this.retries.get(teamId);
    if (!retry) return;
    clearTimeout(retry.timer);
    this.retries.delete(teamId);
    this.logger.info(
      { teamId, failures: retry.failures },
      'events: relayed a team’s outbox after failed tries',
    );
  }

  /** Plans the next try of a failed relay: 200 ms after the first failure, doubling up to 2 s. */
  private retryLater(teamId: string, error: unknown): void {
    const previous = this.retries.get(teamId);
    if (previous) clearTimeout(previous.timer);
    const failures = (previous?.failures ?? 0) + 1;
    if (failures === 1) {
      this.logger.warn(
        { err: error, teamId },
        'events: relaying a team’s outbox failed; trying again shortly',
      );
    } else {
      this.logger.debug({ err: error, teamId, failures }, 'events: relaying failed again');
    }
    if (this.stopped) {
      this.retries.delete(teamId);
      return;
    }
    const delay = Math.min(FIRST_RETRY_MS * 2 ** (failures - 1), MAX_RETRY_MS);
    const timer = setTimeout(() => void this.relay(teamId), delay);
    timer.unref();
    this.retries.set(teamId, { failures, timer });
  }

  /** Every team's outbox that has events left, relayed. */
  async relayAll(): Promise<void> {
    for (const teamId of await this.outboxes.teamsWithEvents()) {
      if (this.stopped) return;
      await this.relay(teamId);
    }
  }

  /** Relays what is left at once, then every `rescanMs`. */
  start(rescanMs = DEFAULT_RESCAN_MS): void {
    const sweep = () => {
      this.sweeping = this.relayAll()
        .catch((error: unknown) =>
          this.logger.warn({ err: error }, 'events: looking for outboxes to relay failed'),
        )
        .finally(() => {
          this.sweeping = undefined;
          if (!this.stopped) {
            this.timer = setTimeout(sweep, rescanMs);
            this.timer.unref();
          }
        });
    };
    sweep();
  }

  /** Stops looking; a relay under way finishes (what it did not move stays for the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const retry of this.retries.values()) clearTimeout(retry.timer);
    this.retries.clear();
    await this.sweeping;
    await Promise.all([...this.running.values()].map((state) => state.done));
  }

  private async relayTeam(teamId: string): Promise<void> {
    /** Buckets with an entry that cannot be read: their later events wait behind it. */
    const blocked = new Set<string>();
    let after = '-';
    for (;;) {
      const entries = await this.outboxes.read(teamId, after, RELAY_BATCH);
      if (entries.length === 0) return;
      const relayed: string[] = [];
      for (const { entryId, fields } of entries) {
        if (blocked.has(fields.bucket ?? '')) continue;
        const made = eventOf(fields);
        if ('problem' in made) {
          // Left where it is: the loader must never skip a change. An operator has to look.
          blocked.add(fields.bucket ?? '');
          this.logger.error(
            { teamId, entryId, problem: made.problem },
            'events: a change event cannot be read; its destination’s later events wait behind it',
          );
          continue;
        }
        await this.stream.append({
          teamId,
          bucket: made.bucket,
          seq: made.event.sequence,
          body: JSON.stringify(made.event),
        });
        relayed.push(entryId);
      }
      await this.outboxes.deleteRelayed(teamId, relayed);
      if (entries.length < RELAY_BATCH) return;
      after = entries[entries.length - 1].entryId;
    }
  }
}
