import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Deps } from '../deps-types';
import type { MonitorAnnouncer } from './announcer';
import type { RoundCounts, RoundTotals } from '../store/round-ledger';

/** How the monitor paces its work. */
export interface MonitorPacing {
  /**
   * Destinations per check job at most: one job's overhead shared by several checks. A round
   * smaller than every replica's concurrency can fill with jobs this big gets smaller ones.
   */
  readonly batchSize: number;
  /** Jobs each replica runs at once. */
  readonly concurrency: number;
  /** The pause before a newly failing destination is checked again to confirm it. */
  readonly confirmDelayMs: number;
  /** The first pause before an inconclusive check is tried again; doubled on each try. */
  readonly retryDelayMs: number;
  /** How many times a check that proved nothing is tried in all. */
  readonly attempts: number;
}

/** A round's progress, shared by every replica (the store's RedisRoundLedger). */
export interface RoundLedger {
  /** Notes when the round opened (the first time only). */
  open(roundId: string, now: Date): Promise<void>;
  /** The round's batch size: `proposed` the first time, the one chosen then afterwards. */
  batchSize(roundId: string, proposed: number): Promise<number>;
  /** Registers these jobs as outstanding; returns those not finished already, to enqueue. */
  expect(roundId: string, jobIds: readonly string[]): Promise<string[]>;
  /** One job finished with these counts; the round's totals when it was the last. */
  finishJob(
    roundId: string,
    jobId: string,
    counts: RoundCounts,
    now: Date,
  ): Promise<RoundTotals | undefined>;
  /** The totals of a finished round, or undefined while it runs. */
  totals(roundId: string): Promise<RoundTotals | undefined>;
}

/** What the monitor's job processors share within one replica. */
export interface MonitorContext {
  readonly deps: Deps;
  /** The Slack side: each workspace's voice, and the purge of uninstalled ones. */
  readonly announcer: MonitorAnnouncer;
  readonly queue: Queue;
  readonly ledger: RoundLedger;
  readonly pacing: MonitorPacing;
  /** Aborted when the replica shuts down: a batch hands back the checks it has not begun. */
  readonly stopping: AbortSignal;
  /** Workspaces with destinations but no installation, said once per process. */
  readonly unwatched: Set<string>;
  /** Told by the replica whose job finished a round. */
  readonly roundFinished: (totals: RoundTotals) => void;
}

/**
 * A job id that is the same every time the same work is enqueued (a round job taken over after a
 * crash lists it again), so the queue keeps one job for it.
 */
export function jobId(kind: string, ...parts: (string | number)[]): string {
  return `${kind}-${createHash('sha1').update(parts.join('\n')).digest('hex').slice(0, 24)}`;
}
