import type { Job } from 'bullmq';
import type { SavedDestination } from '../store/types';
import { noCounts } from './check-destination-job';
import { jobId, type MonitorContext } from './context';
import { JOB_NAMES, type CheckJob } from './jobs';

/** Check jobs enqueued per page of a team's destinations read from the store. */
const BATCHES_PER_PAGE = 25;

/** The round's own entry among its outstanding jobs: open until every check job is enqueued. */
export const LISTING = 'listing';

/**
 * Opens a round: turns every watched destination into check jobs, a page at a time (never the
 * whole list in memory). A workspace the app is no longer installed in is not watched (nobody
 * could be told); once its retention is over, its destinations are purged.
 */
export async function openRound(context: MonitorContext, job: Job): Promise<void> {
  const { deps, ledger } = context;
  const roundId = job.id ?? job.name;
  await ledger.open(roundId, deps.now());
  await ledger.expect(roundId, [LISTING]);
  // Refused while Redis does not answer: the job engine tries the round job again.
  const teams = await deps.stores.destinations.teams();
  const counts = noCounts();
  for (const teamId of teams) {
    try {
      if (await watchedTeam(context, teamId)) await enqueueTeam(context, roundId, teamId);
    } catch (error) {
      deps.logger.error({ err: error, teamId }, 'monitor: listing a team’s destinations failed');
      counts.failures += 1;
    }
  }
  const totals = await ledger.finishJob(roundId, LISTING, counts, deps.now());
  if (totals) context.roundFinished(totals);
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

async function enqueueTeam(context: MonitorContext, roundId: string, teamId: string) {
  const { batchSize } = context.pacing;
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
