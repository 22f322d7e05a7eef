import { performance } from 'node:perf_hooks';
import type { webApi } from '@slack/bolt';
import type { Deps } from '../deps';
import { postInChannel } from '../slack/messaging';
import { buildMonitorAlert, buildRecoveryNotice } from '../slack/views/monitor-alert';
import { MONITOR_LOCK_KEY } from '../store/keys';
import type { DestinationStore, SavedDestination } from '../store/types';
import { checkSavedDestination } from '../verify/check-destination';
import { forEachConcurrently } from './worker-pool';

/** What one sweep did. */
export interface SweepResult {
  /** Destinations whose checks ran. */
  readonly checked: number;
  /** Passing → failing: alerts posted. */
  readonly alerts: number;
  /** Failing → passing: recovery notices posted. */
  readonly recoveries: number;
  /** Destinations (or teams) the sweep could not handle: an error, a fault on the bot's side, or a post Slack refused. */
  readonly failures: number;
}

export interface Monitor {
  /** Cancels the timer; a sweep in progress runs to its end (wait for it with `done`). */
  stop(): void;
  /** Resolves once no sweep is running. */
  done(): Promise<void>;
  /** Sweeps now if this replica gets the interval's lock, else undefined. Never rejects. */
  sweepOnce(): Promise<SweepResult | undefined>;
}

export interface MonitorOptions {
  /** How many destinations are checked at once; default 8. */
  readonly concurrency?: number;
  /** How long the sweep lock lives; default the interval (60 s when the timer is off). */
  readonly lockTtlMs?: number;
}

const DEFAULT_CONCURRENCY = 8;
const LOCK_TTL_WITHOUT_TIMER_MS = 60_000;

type Counts = { -readonly [K in keyof SweepResult]: SweepResult[K] };

/**
 * The store as checkSavedDestination sees it in a sweep: its save is dropped, so the monitor alone
 * decides what is recorded (not a fault on our side, not a destination removed meanwhile).
 */
function withoutSaving(destinations: DestinationStore): DestinationStore {
  return {
    save: async () => undefined,
    get: (teamId, bucket) => destinations.get(teamId, bucket),
    list: (teamId) => destinations.list(teamId),
    remove: (teamId, bucket) => destinations.remove(teamId, bucket),
    teams: () => destinations.teams(),
  };
}

/**
 * Re-checks every saved destination of every team each `intervalSeconds` (0: never by itself) and
 * tells a destination's channel when it starts failing and when it recovers.
 *
 * One replica sweeps per interval: the sweep takes a lock whose TTL is the interval and never
 * releases it, so the lock expiring is what opens the next interval (and a crashed holder's lock
 * simply expires). A sweep that outlasts the interval may overlap the next replica's.
 */
export function startMonitor(
  deps: Deps,
  client: webApi.WebClient,
  intervalSeconds: number,
  options: MonitorOptions = {},
): Monitor {
  const { logger, stores } = deps;
  const intervalMs = intervalSeconds * 1000;
  const lockTtlMs = options.lockTtlMs ?? (intervalMs > 0 ? intervalMs : LOCK_TTL_WITHOUT_TIMER_MS);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const checkingStore = withoutSaving(stores.destinations);

  async function checkOne(listed: SavedDestination, counts: Counts): Promise<void> {
    const { teamId } = listed;
    const { bucket } = listed.settings;
    try {
      const { report, destination: checked } = await checkSavedDestination(
        deps.verifier,
        checkingStore,
        listed,
        deps.now,
      );
      counts.checked += 1;
      if (report.operatorFault) {
        // Our credentials or S3 itself, not this bucket: every channel would get the same false
        // alarm, so the operator hears it and the destination's state stays as it was.
        const outcomes = report.checks
          .filter((c) => !c.passed)
          .map((c) => `${c.check}:${c.outcome}`);
        logger.error(
          { teamId, bucket, outcomes },
          'monitor: checks failed on the bot’s side; not recorded',
        );
        counts.failures += 1;
        return;
      }
      // Read again: the destination may have been removed or set up anew while it was checked.
      const current = await stores.destinations.get(teamId, bucket);
      if (!current || current.challengeKey !== listed.challengeKey) return;

      if (current.lastCheck.ok !== report.ok) {
        const message = report.ok
          ? buildRecoveryNotice(checked)
          : buildMonitorAlert(checked, report);
        const posted = await postInChannel(
          { client, channelId: current.channelId },
          message,
          logger,
        );
        if (!posted) {
          // Not recorded either, so the next sweep sees the same change and tries again.
          logger.error({ teamId, bucket, ok: report.ok }, 'monitor: could not tell the channel');
          counts.failures += 1;
          return;
        }
        if (report.ok) counts.recoveries += 1;
        else counts.alerts += 1;
      }
      await stores.destinations.save({
        ...current,
        verifiedAt: report.ok ? checked.verifiedAt : current.verifiedAt,
        lastCheck: checked.lastCheck,
      });
    } catch (error) {
      logger.error({ err: error, teamId, bucket }, 'monitor: checking a destination failed');
      counts.failures += 1;
    }
  }

  async function listDestinations(counts: Counts): Promise<SavedDestination[]> {
    const all: SavedDestination[] = [];
    for (const teamId of await stores.destinations.teams()) {
      try {
        all.push(...(await stores.destinations.list(teamId)));
      } catch (error) {
        logger.error({ err: error, teamId }, 'monitor: listing a team’s destinations failed');
        counts.failures += 1;
      }
    }
    return all;
  }

  async function sweep(): Promise<SweepResult | undefined> {
    const token = await stores.locks.acquire(MONITOR_LOCK_KEY, lockTtlMs);
    if (token === undefined) {
      logger.debug('monitor: another replica has this interval');
      return undefined;
    }
    const started = performance.now();
    const counts: Counts = { checked: 0, alerts: 0, recoveries: 0, failures: 0 };
    try {
      const destinations = await listDestinations(counts);
      await forEachConcurrently(destinations, concurrency, (destination) =>
        checkOne(destination, counts),
      );
    } catch (error) {
      logger.error({ err: error }, 'monitor: listing the teams failed');
      counts.failures += 1;
    }
    const durationMs = Math.round(performance.now() - started);
    logger.info({ ...counts, durationMs }, 'monitor: sweep finished');
    return counts;
  }

  let running: Promise<SweepResult | undefined> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  function sweepOnce(): Promise<SweepResult | undefined> {
    // This replica never runs two sweeps at once; the one running has this interval.
    if (running) return Promise.resolve(undefined);
    const sweeping = sweep()
      .catch((error: unknown) => {
        logger.error({ err: error }, 'monitor: sweep failed');
        return undefined;
      })
      .finally(() => {
        running = undefined;
      });
    running = sweeping;
    return sweeping;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      void sweepOnce().then(() => schedule(intervalMs));
    }, delayMs);
    // The monitor alone must not keep the process alive.
    timer.unref();
  }

  // The first attempt comes at start: a restart must not postpone the sweep by a whole interval,
  // and the lock (in Redis, it outlives the process) still allows only one per interval.
  if (intervalMs > 0) schedule(0);

  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    async done() {
      await running;
    },
    sweepOnce,
  };
}
