import type { OutboxEntry } from '../store/outbox';

/** One destination's entries held by this replica, sent one at a time in `seq` order. */
interface Lane {
  readonly key: string;
  readonly entries: OutboxEntry[];
  /** When to look at the first entry again (delivery clock); 0: now. */
  wakeAt: number;
  running: boolean;
  queued: boolean;
  /** An entry arrived while the lane was running: look again before going to sleep. */
  poked: boolean;
}

/**
 * What to do with the first entry of a destination: undefined once it is finished (delivered,
 * a duplicate, or a dead letter), else the time (on the delivery's clock) to try it again.
 */
export type SendFirst = (entry: OutboxEntry) => Promise<number | undefined>;

const bySeq = (a: OutboxEntry, b: OutboxEntry) =>
  a.seq - b.seq || a.entryId.localeCompare(b.entryId);

/**
 * The destinations this replica holds entries of, each a lane: up to `concurrency` lanes send at
 * once, and within a lane one entry at a time, lowest `seq` first. A lane that must wait (a
 * retry not due, an earlier seq elsewhere) sleeps until its time and frees its place meanwhile,
 * so one slow or failing destination never holds up another.
 */
export class DeliveryLanes {
  private readonly lanes = new Map<string, Lane>();
  private readonly ready: Lane[] = [];
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly concurrency: number,
    private readonly now: () => number,
    private readonly sendFirst: SendFirst,
    /** Told when an entry is finished, so the caller can forget it. */
    private readonly onFinished: (entry: OutboxEntry) => void,
  ) {}

  /** Adds an entry to its destination's lane and lets the lane run as soon as there is room. */
  add(entry: OutboxEntry): void {
    const key = `${entry.teamId}\n${entry.bucket}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { key, entries: [], wakeAt: 0, running: false, queued: false, poked: false };
      this.lanes.set(key, lane);
    }
    lane.entries.push(entry);
    lane.entries.sort(bySeq);
    lane.wakeAt = 0;
    lane.poked = true;
    this.enqueue(lane);
  }

  /** Lets every lane whose time has come run (called on a short timer). */
  wakeDue(): void {
    const at = this.now();
    for (const lane of this.lanes.values()) if (lane.wakeAt <= at) this.enqueue(lane);
    this.pump();
  }

  /** Starts lanes while there is room. */
  pump(): void {
    while (!this.stopped && this.running.size < this.concurrency && this.ready.length > 0) {
      const lane = this.ready.shift()!;
      lane.queued = false;
      if (lane.running || lane.entries.length === 0) continue;
      lane.running = true;
      const work: Promise<void> = this.drain(lane).finally(() => {
        lane.running = false;
        this.running.delete(work);
        if (lane.entries.length === 0) this.lanes.delete(lane.key);
        else if (lane.wakeAt <= this.now()) this.enqueue(lane);
        this.pump();
      });
      this.running.add(work);
    }
  }

  /** Starts no more sends; resolves once those under way are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.running]);
  }

  private enqueue(lane: Lane): void {
    if (lane.running || lane.queued || lane.entries.length === 0) return;
    lane.queued = true;
    this.ready.push(lane);
  }

  /** Sends the lane's entries in order until one must wait; notes when to look again. */
  private async drain(lane: Lane): Promise<void> {
    while (!this.stopped && lane.entries.length > 0) {
      const entry = lane.entries[0];
      lane.poked = false;
      const wakeAt = await this.sendFirst(entry);
      if (wakeAt === undefined) {
        lane.entries.splice(lane.entries.indexOf(entry), 1);
        this.onFinished(entry);
      } else if (!lane.poked) {
        lane.wakeAt = wakeAt;
        return;
      }
    }
  }
}
