import type { Queue } from 'bullmq';
import { JOB_NAMES } from './jobs';

/** The one scheduler that opens the monitor's rounds. */
export const ROUND_SCHEDULER_ID = 'monitor-round';

/**
 * Opens a round every `intervalMs`. Every replica calls this at start: the scheduler is one
 * record in Redis, upserted with the same settings, so there is still one round per interval
 * however many replicas run (and a changed interval simply replaces it).
 */
export async function scheduleRounds(
  queue: Queue,
  intervalMs: number,
  retryDelayMs: number,
): Promise<void> {
  await queue.upsertJobScheduler(
    ROUND_SCHEDULER_ID,
    { every: intervalMs },
    { name: JOB_NAMES.round, data: {}, opts: roundJobOptions(retryDelayMs) },
  );
}

/** A round that could not list the destinations (Redis away) is tried again, after a pause. */
export function roundJobOptions(retryDelayMs: number) {
  return { attempts: 5, backoff: { type: 'exponential' as const, delay: retryDelayMs } };
}
