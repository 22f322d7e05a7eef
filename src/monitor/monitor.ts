import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue, Worker } from 'bullmq';
import type { Deps } from '../deps-types';
import type { MonitorAnnouncer } from './announcer';
import { connectJobRedis } from './connection';
import type { MonitorContext, MonitorPacing } from './context';
import { JOB_NAMES } from './jobs';
import { createMonitorQueue, MONITOR_QUEUE_PREFIX, queueDepth, type QueueDepth } from './queue';
import { RedisRoundLedger, type RoundTotals } from '../store/round-ledger';
import { roundJobOptions, scheduleRounds } from './scheduler';
import { startMonitorWorker } from './worker';

export type { RoundTotals } from '../store/round-ledger';

export interface MonitorOptions {
  /** The Redis the rounds' jobs live in: REDIS_URL (standalone, Sentinel or Cluster). */
  readonly redisUrl: string;
  /** How often a round opens; 0: only when `runRound` asks. */
  readonly intervalSeconds: number;
  /** Checks this replica runs at once; default 16. */
  readonly concurrency?: number;
  /** The queue's key prefix, hash tag included; tests give each their own. */
  readonly prefix?: string;
  /** The pause before a newly failing destination is checked again to confirm it; default 60 s. */
  readonly confirmDelayMs?: number;
  /** The first pause before a check that proved nothing is tried again; default 5 s, doubling. */
  readonly retryDelayMs?: number;
  /** How many times a check that proved nothing is tried in all; default 3. */
  readonly attempts?: number;
  /** Destinations per check job at most; default 50 (a small round gets smaller jobs). */
  readonly batchSize?: number;
  /** How long a killed replica's running jobs wait before another takes them; default 30 s. */
  readonly lockDurationMs?: number;
}

export interface Monitor {
  /** Opens a round now and resolves with its totals once every replica's part of it is done. */
  runRound(): Promise<RoundTotals>;
  /** The monitor's jobs by state. */
  depth(): Promise<QueueDepth>;
  /**
   * Stops taking jobs: running checks finish, a batch hands back the checks it has not begun,
   * and everything else stays queued for the other replicas (or the next start).
   */
  stop(): Promise<void>;
}

const DEFAULTS = {
  concurrency: 16,
  confirmDelayMs: 60_000,
  retryDelayMs: 5_000,
  attempts: 3,
  batchSize: 50,
  lockDurationMs: 30_000,
};
const ROUND_POLL_MS = 100;

/**
 * Re-checks every saved destination of every team each interval, spread over every replica as
 * jobs in Redis, and tells a destination's channel when it starts failing and when it recovers.
 * The routine check never writes into a bucket, and a failure is announced only once a second
 * check after a pause confirms it.
 */
export function startMonitor(
  deps: Deps,
  announcer: MonitorAnnouncer,
  options: MonitorOptions,
): Monitor {
  const { logger } = deps;
  const prefix = options.prefix ?? MONITOR_QUEUE_PREFIX;
  const pacing: MonitorPacing = {
    batchSize: options.batchSize ?? DEFAULTS.batchSize,
    concurrency: options.concurrency ?? DEFAULTS.concurrency,
    confirmDelayMs: options.confirmDelayMs ?? DEFAULTS.confirmDelayMs,
    retryDelayMs: options.retryDelayMs ?? DEFAULTS.retryDelayMs,
    attempts: options.attempts ?? DEFAULTS.attempts,
  };
  const connection = connectJobRedis(options.redisUrl, (error) =>
    logger.warn({ err: error }, 'monitor: Redis connection problem'),
  );
  const queue: Queue = createMonitorQueue(connection, prefix);
  const ledger = new RedisRoundLedger(connection, prefix);
  const stopping = new AbortController();
  const context: MonitorContext = {
    deps,
    announcer,
    queue,
    ledger,
    pacing,
    stopping: stopping.signal,
    unwatched: new Set(),
    roundFinished(totals) {
      logger.info({ ...totals }, 'monitor: round finished');
      deps.metrics.roundFinished(totals.durationMs / 1000);
    },
  };
  if (options.intervalSeconds > 0) {
    // Not awaited: while Redis is away the call waits for it, and start-up must not.
    scheduleRounds(queue, options.intervalSeconds * 1000, pacing.retryDelayMs).catch(
      (error: unknown) => logger.error({ err: error }, 'monitor: could not schedule the rounds'),
    );
  }
  const worker: Worker = startMonitorWorker(context, connection, prefix, {
    concurrency: pacing.concurrency,
    lockDurationMs: options.lockDurationMs ?? DEFAULTS.lockDurationMs,
  });

  let stopped: Promise<void> | undefined;
  return {
    async runRound() {
      const job = await queue.add(
        JOB_NAMES.round,
        {},
        { jobId: `round-${randomUUID()}`, ...roundJobOptions(pacing.retryDelayMs) },
      );
      const roundId = job.id ?? '';
      for (;;) {
        const totals = await ledger.totals(roundId);
        if (totals) return totals;
        await sleep(ROUND_POLL_MS);
      }
    },
    depth: () => queueDepth(queue),
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await worker.close();
        await queue.close();
        await connection.quit().catch(() => connection.disconnect());
      })();
      return stopped;
    },
  };
}
