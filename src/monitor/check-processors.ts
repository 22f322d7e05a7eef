// The processors of the monitor's check jobs: a batch's first checks, the retry of a check that
// proved nothing, the confirmation of a newly failing destination, and a job the engine gave up on.
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { AppError } from '../errors';
import { checkWatched, confirmFailure, noCounts, type CheckCounts } from './watched-check';
import { jobId, type MonitorContext } from './context';
import type { SavedDestination } from '../store/types';
import {
  checkJobSchema,
  destinationJobSchema,
  JOB_NAMES,
  type CheckJob,
  type DestinationJob,
} from './jobs';

/** A check proved nothing about the bucket (S3 or the bot's side): the job engine tries again. */
export class InconclusiveCheckError extends AppError {
  constructor() {
    super('inconclusive_check', 'The check proved nothing about the bucket; trying again later');
  }
}

/** Job data that does not parse: trying again would not help. */
function parsed<T>(schema: { parse(data: unknown): T }, job: Job): T {
  try {
    return schema.parse(job.data);
  } catch (error) {
    throw new UnrecoverableError(
      `monitor job ${job.name} ${job.id ?? ''} has invalid data: ${(error as Error).message}`,
    );
  }
}

/** The first checks of a batch of one team's destinations, one after the other. */
export async function checkBatch(context: MonitorContext, job: Job, token?: string) {
  const { deps, announcer, stopping } = context;
  const data = parsed(checkJobSchema, job);
  const { roundId, teamId, buckets } = data;
  const counts: CheckCounts = { ...noCounts(), ...data.counts };
  const voice = await announcer.voiceFor(teamId);
  const read = voice ? await readBatch(context, data) : new Map<string, SavedDestination>();
  for (const [index, bucket] of buckets.entries()) {
    if (!voice) break;
    if (stopping.aborted) {
      // Shutting down: the checks not begun go back to the queue, for any replica to run.
      const rest = { buckets: buckets.slice(index), after: buckets[index - 1] ?? data.after };
      await job.updateData({ ...data, ...rest, counts });
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    let destination;
    try {
      destination = read.get(bucket) ?? (await deps.stores.destinations.get(teamId, bucket));
    } catch (error) {
      deps.logger.error({ err: error, teamId, bucket }, 'monitor: reading a destination failed');
      counts.failures += 1;
      continue;
    }
    if (!destination) continue;
    const lastTry = context.pacing.attempts <= 1;
    const look = await checkWatched(deps, { destination, voice }, counts, lastTry);
    const next = { roundId, teamId, bucket, version: destination.version };
    if (look === 'confirm') await enqueueConfirmation(context, next);
    if (look === 'inconclusive') await enqueueRecheck(context, next);
  }
  await finishJob(context, roundId, job, counts);
}

/**
 * The batch's destinations as saved now, read in one step when the team's order still puts them
 * right after `after`; any the read missed (set up or removed meanwhile) are read one by one.
 */
async function readBatch(
  { deps }: MonitorContext,
  { teamId, buckets, after }: CheckJob,
): Promise<Map<string, SavedDestination>> {
  const store = deps.stores.destinations;
  if (!store.listAfter || after === undefined) return new Map();
  try {
    const slice = await store.listAfter(teamId, after ?? undefined, buckets.length);
    return new Map(slice.destinations.map((d) => [d.settings.bucket, d]));
  } catch {
    // Read one by one instead, each failure counted there.
    return new Map();
  }
}

/** A destination's check tried again after it proved nothing (S3 or the bot's side). */
export async function recheck(context: MonitorContext, job: Job) {
  const { deps, announcer } = context;
  const data = parsed(destinationJobSchema, job);
  const counts = noCounts();
  const voice = await announcer.voiceFor(data.teamId);
  const destination = voice && (await deps.stores.destinations.get(data.teamId, data.bucket));
  if (voice && destination && destination.version === data.version) {
    const lastTry = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const look = await checkWatched(deps, { destination, voice }, counts, lastTry);
    if (look === 'inconclusive') throw new InconclusiveCheckError();
    if (look === 'confirm') await enqueueConfirmation(context, data);
  }
  await finishJob(context, data.roundId, job, counts);
}

/** The second look at a newly failing destination: alerted only when it still fails. */
export async function confirm(context: MonitorContext, job: Job) {
  const data = parsed(destinationJobSchema, job);
  const counts = noCounts();
  const voice = await context.announcer.voiceFor(data.teamId);
  if (voice) {
    await confirmFailure(context.deps, voice, data.teamId, data.bucket, data.version, counts);
  }
  await finishJob(context, data.roundId, job, counts);
}

/** A job the engine gave up on (its tries are spent, or its data is invalid) still ends its part of the round. */
export async function jobGaveUp(context: MonitorContext, job: Job) {
  const roundId = (job.data as { roundId?: unknown }).roundId;
  if (typeof roundId !== 'string' || !job.id) return;
  await finishJob(context, roundId, job, { ...noCounts(), failures: 1 });
}

/** Marks the job finished in its round; the replica whose job was the round's last says so. */
async function finishJob(context: MonitorContext, roundId: string, job: Job, counts: CheckCounts) {
  const totals = await context.ledger.finishJob(roundId, job.id ?? '', counts, context.deps.now());
  if (totals) context.roundFinished(totals);
}

/** Follow-up jobs are registered in the round before they are enqueued: it waits for them. */
async function enqueueFollowUp(
  context: MonitorContext,
  name: string,
  data: DestinationJob,
  options: { delay: number; attempts?: number; backoff?: { type: 'exponential'; delay: number } },
) {
  const id = jobId(name, data.roundId, data.teamId, data.bucket, data.version);
  const fresh = await context.ledger.expect(data.roundId, [id]);
  if (fresh.length > 0) await context.queue.add(name, data, { jobId: id, ...options });
}

/** The confirmation is a delayed job: any replica takes it once the pause is over. */
function enqueueConfirmation(context: MonitorContext, data: DestinationJob) {
  return enqueueFollowUp(context, JOB_NAMES.confirm, data, {
    delay: context.pacing.confirmDelayMs,
  });
}

/** Tried again with back-off, by the job engine's own retries. */
function enqueueRecheck(context: MonitorContext, data: DestinationJob) {
  const { retryDelayMs, attempts } = context.pacing;
  return enqueueFollowUp(context, JOB_NAMES.recheck, data, {
    delay: retryDelayMs,
    attempts: Math.max(1, attempts - 1),
    backoff: { type: 'exponential', delay: retryDelayMs },
  });
}
