import { Queue } from 'bullmq';
import type { JobConnection } from './connection';

/** The queue every replica's monitor shares. */
export const MONITOR_QUEUE_NAME = 'monitor';

/**
 * The queue's key prefix. The hash tag puts every key of the queue in one Redis Cluster slot, as
 * the job engine's scripts need (they touch several of its keys at once).
 */
export const MONITOR_QUEUE_PREFIX = '{s3d-monitor}';

/** How long finished jobs stay visible (for an operator's look, and the failed count). */
const KEEP_COMPLETED_SECONDS = 60 * 60;
const KEEP_FAILED_SECONDS = 7 * 24 * 60 * 60;

/** The monitor's queue on `connection`; `prefix` keeps tests' queues apart. */
export function createMonitorQueue(
  connection: JobConnection,
  prefix: string = MONITOR_QUEUE_PREFIX,
): Queue {
  return new Queue(MONITOR_QUEUE_NAME, {
    connection,
    prefix,
    defaultJobOptions: {
      removeOnComplete: { age: KEEP_COMPLETED_SECONDS, count: 1000 },
      removeOnFail: { age: KEEP_FAILED_SECONDS, count: 10000 },
    },
  });
}

/** The queue's jobs by state, for the metrics. */
export interface QueueDepth {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly failed: number;
}

export async function queueDepth(queue: Queue): Promise<QueueDepth> {
  const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
  return {
    waiting: counts.waiting ?? 0,
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    failed: counts.failed ?? 0,
  };
}
