import type { Job } from 'bullmq';
import type { SavedDestination } from '../store/types';
import { noCounts } from './watched-check';
import { jobId, type MonitorContext } from './context';
import { JOB_NAMES, type CheckJob } from './jobs';

/** Check jobs enqueued per page of a team's destinations read from the store. */
const BATCHES_PER_PAGE = 25;
/** Teams whose destinations are counted at once while a round is sized. */
const COUNTED_AT_ONCE = 50;

/** The round's own entry among its outstanding jobs: open until every check job is enqueued. */
export const LISTING = 'listing';

/**
 * Opens a round: turns every watched destination into check jobs, a page at a time (never the
 * whole list in memory), in jobs small enough that every replica has work when the round is small.
 * A workspace the app is no longer installed in is not watched (nobody could be told); once its
 * retention is over, its destinations are purged.
 */
export async function openRound(context: MonitorContext, job: Job): Promise<void> {
  const { deps, ledger } = context;
  const roundId = job.id ?? job.name;
  await ledger.open(roundId, deps.now());
  await ledger.expect(roundId, [LISTING]);
  // Refused while Redis does not answer: the job engine tries the round job again.
  const teams = await deps.stores.destinations.teams();
  const counts = noCounts();
  const failed = (teamId: string) => (error: unknown) => {
    deps.logger.error({ err: error, teamId }, 'monitor: listing a team’s destinations failed');
    counts.failures += 1;
  };
  const watched: string[] = [];
  for (const teamId of teams) {
    await watchedTeam(context, teamId).then((yes) => {
      if (yes) watched.push(teamId);
    }, failed(teamId));
  }
  const batchSize = await ledger.batchSize(roundId, await roundBatchSize(context, watched));
  for (const teamId of watched) {
    await enqueueTeam(context, roundId, teamId, batchSize).catch(failed(teamId));
  }
  const totals = await ledger.finishJob(roundId, LISTING, counts, deps.now());
  if (totals) context.roundFinished(totals);
}

/**
 * Destinations per check job for a round of these teams: the fewest that still leave every job a
 * place among the jobs that every replica together runs at once (a job holds one team's), at most
 * `batchSize`. Counting stops once the round is big enough to fill every job anyway.
 */
async function roundBatchSize(context: MonitorContext, teams: readonly string[]) {
  const { batchSize, concurrency } = context.pacing;
  const slots = concurrency * (await replicaCount(context));
  const enough = batchSize * slots;
  const sizes: number[] = [];
  let destinations = 0;
  for (let start = 0; start < teams.length && destinations < enough; start += COUNTED_AT_ONCE) {
    const chunk = teams.slice(start, start + COUNTED_AT_ONCE);
    const counted = await Promise.all(
      chunk.map((teamId) => context.deps.stores.destinations.count(teamId)),
    );
    sizes.push(...counted);
    destinations += counted.reduce((sum, n) => sum + n, 0);
  }
  const jobsOf = (size: number) => sizes.reduce((jobs, n) => jobs + Math.ceil(n / size), 0);
  let size = Math.max(1, Math.ceil(destinations / slots));
  while (size < batchSize && jobsOf(size) > slots) size += 1;
  return Math.min(size, batchSize);
}

/**
 * The replicas working the queue, as the job engine knows them (each worker's named connection);
 * this one when it cannot say (a Redis without CLIENT LIST), so the round is sized as before.
 */
async function replicaCount({ queue, deps }: MonitorContext): Promise<number> {
  try {
    return Math.max(1, await queue.getWorkersCount());
  } catch (error) {
    deps.logger.warn({ err: error }, 'monitor: could not count the replicas; sizing for one');
    return 1;
  }
}

/** Whether the team's destinations are watched: the app must still be installed there. */
async function watchedTeam(context: MonitorContext, teamId: string): Promise<boolean> {
  const { deps } = context;
  if (await context.announcer.voiceFor(teamId)) return true;
  const outcome = await context.announcer.purgeIfDue(teamId);
  if (outcome === 'not_uninstalled' && !context.unwatched.has(teamId)) {
    // Saved before OAuth mode, say: watched again once the workspace installs the app.
    context.unwatched.add(teamId);
    deps.logger.info(
      { teamId },
      'monitor: a workspace with saved destinations has no installation; not watching them until it installs the app',
    );
  }
  return false;
}

async function enqueueTeam(
  context: MonitorContext,
  roundId: string,
  teamId: string,
  batchSize: number,
) {
  const pageSize = batchSize * BATCHES_PER_PAGE;
  let after: string | undefined;
  for (let page = 0; ; page += 1) {
    const slice = await readPage(context, teamId, after, pageSize);
    const buckets = slice.destinations.map((destination) => destination.settings.bucket);
    const jobs: { name: string; data: CheckJob; opts: { jobId: string } }[] = [];
    for (let start = 0; start < buckets.length; start += batchSize) {
      const before = start === 0 ? (after ?? null) : buckets[start - 1];
      jobs.push({
        name: JOB_NAMES.check,
        data: { roundId, teamId, buckets: buckets.slice(start, start + batchSize), after: before },
        opts: { jobId: jobId('check', roundId, teamId, page, start), ...CHECK_JOB_OPTIONS },
      });
    }
    const fresh = new Set(
      await context.ledger.expect(
        roundId,
        jobs.map((j) => j.opts.jobId),
      ),
    );
    await context.queue.addBulk(jobs.filter((j) => fresh.has(j.opts.jobId)));
    if (slice.examined < pageSize || slice.through === undefined) return;
    after = slice.through;
  }
}

/** A check job that fails on the bot's side (Redis away) is tried again, after a pause. */
const CHECK_JOB_OPTIONS = { attempts: 3, backoff: { type: 'exponential', delay: 2000 } };

/** One page of the team's destinations by bucket; a store without pages reads them all. */
async function readPage(
  { deps }: MonitorContext,
  teamId: string,
  after: string | undefined,
  limit: number,
): Promise<{ destinations: SavedDestination[]; examined: number; through?: string }> {
  const store = deps.stores.destinations;
  if (store.listAfter) return store.listAfter(teamId, after, limit);
  // The in-memory store holds them all in memory anyway.
  const all = (await store.list(teamId)).filter(
    (d) => after === undefined || d.settings.bucket > after,
  );
  const destinations = all.slice(0, limit);
  return {
    destinations,
    examined: destinations.length,
    through: destinations.at(-1)?.settings.bucket,
  };
}
