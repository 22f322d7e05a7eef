import type { Queue } from 'bullmq';
import { JOB_NAMES } from './jobs';

/** The one scheduler that opens the monitor's rounds. */
export const ROUND_SCHEDULER_ID = 'monitor-round';

/**
 * Opens a round every `intervalMs`. Every replica calls this at start: the scheduler is one
 * record in Redis, upserted with the same settings, so there is still one round per interval
 * however many replicas run (and a changed interval simply replaces it).
 */
export async function scheduleRounds(queue: Queue, intervalMs: number): Promise<void> {
  await queue.upsertJobScheduler(
    ROUND_SCHEDULER_ID,
    { every: intervalMs },
    { name: JOB_NAMES.round, data: {} },
  );
}
