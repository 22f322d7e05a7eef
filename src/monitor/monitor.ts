import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { webApi } from '@slack/bolt';
import type { Deps } from '../deps';
import { audit } from '../destinations/audit';
import { recordCheck } from '../destinations/changes';
import { homeChanged } from '../slack/home-refresh';
import { purgeIfDue } from '../slack/oauth/purge';
import { singleWorkspaceClients, type TeamClients } from '../slack/team-clients';
import { slackErrorCode, tryPostInChannel } from '../slack/messaging';
import {
  buildMonitorAlert,
  buildRecoveryNotice,
  buildUnreachableChannelNotice,
} from '../slack/views/monitor-alert';
import { MONITOR_LOCK_KEY } from '../store/keys';
import type { CheckRecord, SavedDestination } from '../store/types';
import { checkDestination, type DestinationCheck } from '../verify/check-destination';
import { summarizeReport } from '../verify/summary';
import { forEachConcurrently } from './worker-pool';

/** What one sweep did. */
export interface SweepResult {
  /** Destinations whose checks ran. */
  readonly checked: number;
  /** Passing → failing, confirmed by a second check: alerts posted (or sent to the connector). */
  readonly alerts: number;
  /** Failing → passing: recovery notices posted (or sent to the connector). */
  readonly recoveries: number;
  /** Destinations (or teams) the sweep could not handle: an error, S3 or the bot's side, or a post Slack refused. */
  readonly failures: number;
  /** The sweep stopped early because the monitor was stopped. */
  readonly aborted: boolean;
}

export interface Monitor {
  /** Cancels the timer and aborts a running sweep's remaining work (wait for it with `done`). */
  stop(): void;
  /** Resolves once no sweep is running. */
  done(): Promise<void>;
  /**
   * Sweeps now if this replica gets the interval's lock, else undefined (also when the lock or the
   * list of teams could not be read: the timer then tries again soon). Never rejects.
   */
  sweepOnce(): Promise<SweepResult | undefined>;
}

export interface MonitorOptions {
  /** How many destinations are checked at once; default 8. */
  readonly concurrency?: number;
  /** How long the sweep lock lives; default the interval (60 s when the timer is off). */
  readonly lockTtlMs?: number;
  /** The pause before a newly failing destination is checked again to confirm it; default 60 s. */
  readonly confirmDelayMs?: number;
  /** How soon a sweep that could not start (Redis did not answer) is tried again; default 30 s. */
  readonly retryDelayMs?: number;
}

const DEFAULT_CONCURRENCY = 8;
const DEFAULT_CONFIRM_DELAY_MS = 60_000;
const DEFAULT_RETRY_DELAY_MS = 30_000;
const LOCK_TTL_WITHOUT_TIMER_MS = 60_000;

/** Slack's answers that mean the channel cannot be posted to until someone changes something. */
const UNPOSTABLE_CHANNEL_ERRORS = new Set([
  'not_in_channel',
  'channel_not_found',
  'is_archived',
  'missing_scope',
]);

type Counts = { -readonly [K in keyof Omit<SweepResult, 'aborted'>]: SweepResult[K] };

/** A destination to watch, and the client that speaks for its workspace. */
interface Watched {
  readonly destination: SavedDestination;
  readonly client: webApi.WebClient;
}

/** Thrown when the sweep could not begin; the timer retries soon instead of an interval later. */
class SweepNotStarted extends Error {}

/**
 * Re-checks every saved destination of every team each `intervalSeconds` (0: never by itself) and
 * tells a destination's channel when it starts failing and when it recovers. The routine check
 * never writes into a bucket (DESIGN.md section 4), and a failure is announced only once a second
 * check after a pause confirms it.
 *
 * One replica sweeps per interval: the sweep takes a lock whose TTL is the interval and keeps it,
 * so the lock expiring is what opens the next interval (and a crashed holder's lock simply
 * expires). A sweep cut short by `stop` releases it, so another replica carries on at once.
 */
export function startMonitor(
  deps: Deps,
  slack: TeamClients | webApi.WebClient,
  intervalSeconds: number,
  options: MonitorOptions = {},
): Monitor {
  const { logger, stores } = deps;
  const intervalMs = intervalSeconds * 1000;
  const lockTtlMs = options.lockTtlMs ?? (intervalMs > 0 ? intervalMs : LOCK_TTL_WITHOUT_TIMER_MS);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const confirmDelayMs = options.confirmDelayMs ?? DEFAULT_CONFIRM_DELAY_MS;
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  const stopping = new AbortController();
  const clients = 'forTeam' in slack ? slack : singleWorkspaceClients(slack);
  /** Workspaces with destinations but no installation, said once per process. */
  const unwatched = new Set<string>();

  /** The routine check, or undefined when it proved nothing about the bucket (logged). */
  async function watch(
    destination: SavedDestination,
    counts: Counts,
  ): Promise<DestinationCheck | undefined> {
    const check = await checkDestination(deps.verifier, destination, 'watch', deps.now);
    if (!check.report.inconclusive) return check;
    // Our credentials or S3 itself, not this bucket: every channel would get the same false
    // alarm, so the operator hears it and the destination's state stays as it was.
    const outcomes = check.report.checks
      .filter((c) => c.status === 'failed')
      .map((c) => `${c.check}:${c.outcome}`);
    const where = { teamId: destination.teamId, bucket: destination.settings.bucket, outcomes };
    if (check.report.operatorFault) {
      logger.error(where, 'monitor: checks failed on the bot’s side; nothing recorded');
    } else {
      logger.warn(where, 'monitor: S3 did not answer properly; nothing recorded');
    }
    counts.failures += 1;
    return undefined;
  }

  /**
   * Records the check (compare-and-set on the version checked, so a destination removed or set up
   * again meanwhile is left alone) and announces a change of state. Returns true when the
   * destination is newly failing and was not announced yet: the caller confirms it later.
   */
  async function settle(
    destination: SavedDestination,
    check: DestinationCheck,
    counts: Counts,
    confirmed: boolean,
    client: webApi.WebClient,
  ): Promise<boolean> {
    const { report } = check;
    // What the channel was last told: the last check's state, unless announcing it failed.
    const announcedOk = destination.unannounced
      ? !destination.lastCheck.ok
      : destination.lastCheck.ok;
    if (!report.ok && announcedOk && !confirmed) return true;
    const needsAnnouncing = report.ok !== announcedOk;
    const record =
      destination.unannounced && !needsAnnouncing
        ? { ...check.record, unannounced: null }
        : check.record;
    if (!needsAnnouncing) {
      await recordCheck(deps, { destination, record });
      return false;
    }
    // Recorded and told as one change, so the channel hears changes in order.
    const { outcome } = await recordCheck(deps, {
      destination,
      record,
      announce: () => announce(destination, check, counts, client),
    });
    // An alert or a recovery: the App Homes people are looking at follow (throttled per team).
    if (outcome === 'recorded') homeChanged(deps, destination.teamId, client);
    return false;
  }

  /**
   * Tells the channel (or, when it cannot be posted to, the person who connected it); resolves with
   * what Slack's answer changes on the destination.
   */
  async function announce(
    destination: SavedDestination,
    { report }: DestinationCheck,
    counts: Counts,
    client: webApi.WebClient,
  ): Promise<CheckRecord | undefined> {
    const { teamId } = destination;
    const { bucket } = destination.settings;
    const message = report.ok
      ? buildRecoveryNotice(destination)
      : buildMonitorAlert(destination, report, deps.settings.identityProven);
    const post = await tryPostInChannel(
      { client, channelId: destination.channelId },
      message,
      logger,
    );
    await audit(deps, logger, teamId, {
      actor: 'monitor',
      action: report.ok ? 'monitor_recovery' : 'monitor_alert',
      bucket,
      outcome: summarizeReport(report),
    });
    const told = () => {
      if (report.ok) counts.recoveries += 1;
      else counts.alerts += 1;
    };
    if (post.posted) {
      told();
      return destination.channelUnreachable || destination.unannounced
        ? { channelUnreachable: null, unannounced: null }
        : undefined;
    }
    if (post.slackError && UNPOSTABLE_CHANNEL_ERRORS.has(post.slackError)) {
      // Recorded all the same, so the next sweep does not try this post again until the state
      // changes; the connector hears it directly, and `list` shows the channel as unreachable.
      await tellConnector(destination, post.slackError, message, client);
      told();
      return {
        channelUnreachable: {
          since: destination.channelUnreachable?.since ?? deps.now().toISOString(),
          error: post.slackError,
        },
        unannounced: null,
      };
    }
    // Slack itself failed: marked, so that the next sweep announces the change again.
    counts.failures += 1;
    return { unannounced: true };
  }

  async function tellConnector(
    destination: SavedDestination,
    slackError: string,
    message: ReturnType<typeof buildMonitorAlert>,
    client: webApi.WebClient,
  ): Promise<void> {
    const notice = buildUnreachableChannelNotice(destination, slackError, message);
    try {
      // A user id as the channel posts in the bot's direct message with that user.
      await client.chat.postMessage({
        channel: destination.connectedBy,
        text: notice.text,
        blocks: notice.blocks,
        unfurl_links: false,
      });
    } catch (error) {
      logger.error(
        { err: error, slackError: slackErrorCode(error), teamId: destination.teamId },
        'monitor: could not tell the connector either',
      );
    }
  }

  async function checkOne(
    { destination: listed, client }: Watched,
    counts: Counts,
  ): Promise<boolean> {
    const { teamId } = listed;
    const { bucket } = listed.settings;
    try {
      const check = await watch(listed, counts);
      counts.checked += 1;
      return check ? await settle(listed, check, counts, false, client) : false;
    } catch (error) {
      logger.error({ err: error, teamId, bucket }, 'monitor: checking a destination failed');
      counts.failures += 1;
      return false;
    }
  }

  /** The second look at a newly failing destination, as it is saved now. */
  async function confirmOne(
    { destination: first, client }: Watched,
    counts: Counts,
  ): Promise<void> {
    const { teamId } = first;
    const { bucket } = first.settings;
    try {
      const current = await stores.destinations.get(teamId, bucket);
      if (!current || current.version !== first.version) return;
      const check = await watch(current, counts);
      if (check) await settle(current, check, counts, true, client);
    } catch (error) {
      logger.error({ err: error, teamId, bucket }, 'monitor: confirming a failure failed');
      counts.failures += 1;
    }
  }

  /**
   * Every destination to watch, each with the client of its workspace. A workspace the app is no
   * longer installed in is not watched (nobody could be told); once its retention is over, its
   * destinations are purged.
   */
  async function listDestinations(counts: Counts): Promise<Watched[]> {
    let teams: string[];
    try {
      teams = await stores.destinations.teams();
    } catch (error) {
      throw new SweepNotStarted('listing the teams failed', { cause: error });
    }
    const all: Watched[] = [];
    for (const teamId of teams) {
      try {
        const client = await clients.forTeam(teamId);
        if (!client) {
          const outcome = await purgeIfDue(deps, teamId);
          if (outcome === 'not_uninstalled' && !unwatched.has(teamId)) {
            // Saved before OAuth mode, say: watched again once the workspace installs the app.
            unwatched.add(teamId);
            logger.info(
              { teamId },
              'monitor: a workspace with saved destinations has no installation; not watching them until it installs the app',
            );
          }
          continue;
        }
        const destinations = await stores.destinations.list(teamId);
        all.push(...destinations.map((destination) => ({ destination, client })));
      } catch (error) {
        logger.error({ err: error, teamId }, 'monitor: listing a team’s destinations failed');
        counts.failures += 1;
      }
    }
    return all;
  }

  async function sweep(): Promise<SweepResult | undefined> {
    let token: string | undefined;
    try {
      token = await stores.locks.acquire(MONITOR_LOCK_KEY, lockTtlMs);
    } catch (error) {
      throw new SweepNotStarted('taking the sweep lock failed', { cause: error });
    }
    if (token === undefined) {
      logger.debug('monitor: another replica has this interval');
      return undefined;
    }
    const started = performance.now();
    const counts: Counts = { checked: 0, alerts: 0, recoveries: 0, failures: 0 };
    const signal = stopping.signal;
    try {
      const destinations = await listDestinations(counts);
      const failing: Watched[] = [];
      await forEachConcurrently(destinations, concurrency, async (watched) => {
        if (signal.aborted) return;
        if (await checkOne(watched, counts)) failing.push(watched);
      });
      if (failing.length > 0 && !signal.aborted) {
        await sleep(confirmDelayMs, undefined, { signal }).catch(() => undefined);
        await forEachConcurrently(failing, concurrency, async (watched) => {
          if (!signal.aborted) await confirmOne(watched, counts);
        });
      }
    } catch (error) {
      if (error instanceof SweepNotStarted) {
        await stores.locks.release(MONITOR_LOCK_KEY, token).catch(() => undefined);
      }
      throw error;
    }
    const aborted = signal.aborted;
    // Cut short: let another replica (or this one's next start) sweep at once.
    if (aborted) await stores.locks.release(MONITOR_LOCK_KEY, token).catch(() => undefined);
    const durationMs = Math.round(performance.now() - started);
    logger.info({ ...counts, aborted, durationMs }, 'monitor: sweep finished');
    return { ...counts, aborted };
  }

  let running: Promise<SweepResult | undefined> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  /** Whether the last attempt could not start, so the next one comes soon. */
  let retrySoon = false;

  function sweepOnce(): Promise<SweepResult | undefined> {
    // This replica never runs two sweeps at once; the one running has this interval.
    if (running) return Promise.resolve(undefined);
    const sweeping = sweep()
      .then((result) => {
        retrySoon = false;
        return result;
      })
      .catch((error: unknown) => {
        retrySoon = error instanceof SweepNotStarted;
        logger.error(
          { err: error, retryInMs: retrySoon ? retryDelayMs : undefined },
          'monitor: sweep failed',
        );
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
      void sweepOnce().then(() =>
        schedule(retrySoon ? Math.min(retryDelayMs, intervalMs) : intervalMs),
      );
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
      stopping.abort();
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    async done() {
      await running;
    },
    sweepOnce,
  };
}
