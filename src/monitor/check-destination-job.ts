import type { webApi } from '@slack/bolt';
import type { Deps } from '../deps';
import { countedCheck } from '../metrics/metrics';
import { whileAnnouncing } from '../slack/announce';
import { audit } from '../slack/audit';
import { homeChanged } from '../slack/home-refresh';
import { slackErrorCode, tryPostInChannel } from '../slack/messaging';
import {
  buildMonitorAlert,
  buildRecoveryNotice,
  buildUnreachableChannelNotice,
} from '../slack/views/monitor-alert';
import type { SavedDestination } from '../store/types';
import { checkDestination, recordCheck, type DestinationCheck } from '../verify/check-destination';
import { summarizeReport } from '../verify/summary';

/** What the checks of one job did, added to its round's totals. */
export interface CheckCounts {
  /** Destinations whose checks ran. */
  checked: number;
  /** Passing → failing, confirmed by a second check: alerts posted (or sent to the connector). */
  alerts: number;
  /** Failing → passing: recovery notices posted (or sent to the connector). */
  recoveries: number;
  /** Destinations the round could not handle: an error, S3 or the bot's side, or a post Slack refused. */
  failures: number;
}

export const noCounts = (): CheckCounts => ({ checked: 0, alerts: 0, recoveries: 0, failures: 0 });

/** A destination to check, and the client that speaks for its workspace. */
export interface Watched {
  readonly destination: SavedDestination;
  readonly client: webApi.WebClient;
}

/** What a first check of a destination found. */
export type FirstLook =
  /** Recorded (and announced when its state changed), or nothing to do. */
  | 'settled'
  /** Newly failing and not announced yet: a second check after a pause confirms it. */
  | 'confirm'
  /** S3 or the bot's side did not answer properly: nothing recorded, try again later. */
  | 'inconclusive';

/** Slack's answers that mean the channel cannot be posted to until someone changes something. */
const UNPOSTABLE_CHANNEL_ERRORS = new Set([
  'not_in_channel',
  'channel_not_found',
  'is_archived',
  'missing_scope',
]);

/** The routine check; `quiet` leaves an inconclusive one unlogged (it will be tried again). */
async function watch(
  deps: Deps,
  destination: SavedDestination,
  quiet: boolean,
): Promise<DestinationCheck> {
  const check = await countedCheck(deps.metrics, 'monitor', () =>
    checkDestination(deps.verifier, destination, 'watch', deps.now),
  );
  if (!check.report.inconclusive || quiet) return check;
  // Our credentials or S3 itself, not this bucket: every channel would get the same false
  // alarm, so the operator hears it and the destination's state stays as it was.
  const outcomes = check.report.checks
    .filter((c) => c.status === 'failed')
    .map((c) => `${c.check}:${c.outcome}`);
  const where = { teamId: destination.teamId, bucket: destination.settings.bucket, outcomes };
  if (check.report.operatorFault) {
    deps.logger.error(where, 'monitor: checks failed on the bot’s side; nothing recorded');
  } else {
    deps.logger.warn(where, 'monitor: S3 did not answer properly; nothing recorded');
  }
  return check;
}

/**
 * Records the check (compare-and-set on the version checked, so a destination removed or set up
 * again meanwhile is left alone) and announces a change of state. Returns true when the
 * destination is newly failing and was not announced yet: the caller confirms it later.
 */
async function settle(
  deps: Deps,
  { destination, client }: Watched,
  check: DestinationCheck,
  counts: CheckCounts,
  confirmed: boolean,
): Promise<boolean> {
  const { logger, stores } = deps;
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
  const { teamId } = destination;
  const { bucket } = destination.settings;
  const onHistoryError = (error: unknown) =>
    logger.warn({ err: error, teamId, bucket }, 'monitor: could not add the check to its history');
  if (!needsAnnouncing) {
    await recordCheck(stores, destination, record, onHistoryError);
    return false;
  }
  // Recorded and told as one announcement, so the channel hears changes in order.
  const recorded = await whileAnnouncing(deps, teamId, bucket, async () => {
    const outcome = await recordCheck(stores, destination, record, onHistoryError);
    if (outcome === 'recorded') await announce(deps, destination, check, counts, client);
    return outcome;
  });
  // An alert or a recovery: the App Homes people are looking at follow (throttled per team).
  if (recorded === 'recorded') homeChanged(deps, teamId, client);
  return false;
}

/** Tells the channel (or, when it cannot be posted to, the person who connected it). */
async function announce(
  deps: Deps,
  destination: SavedDestination,
  { report }: DestinationCheck,
  counts: CheckCounts,
  client: webApi.WebClient,
): Promise<void> {
  const { logger, stores } = deps;
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
  const { version } = destination;
  if (post.posted) {
    told();
    if (destination.channelUnreachable || destination.unannounced) {
      await stores.destinations.record(teamId, bucket, version, {
        channelUnreachable: null,
        unannounced: null,
      });
    }
    return;
  }
  if (post.slackError && UNPOSTABLE_CHANNEL_ERRORS.has(post.slackError)) {
    // Recorded all the same, so the next round does not try this post again until the state
    // changes; the connector hears it directly, and `list` shows the channel as unreachable.
    await stores.destinations.record(teamId, bucket, version, {
      channelUnreachable: {
        since: destination.channelUnreachable?.since ?? deps.now().toISOString(),
        error: post.slackError,
      },
      unannounced: null,
    });
    await tellConnector(deps, destination, post.slackError, message, client);
    told();
    return;
  }
  // Slack itself failed: marked, so that the next round announces the change again.
  counts.failures += 1;
  await stores.destinations.record(teamId, bucket, version, { unannounced: true });
}

async function tellConnector(
  deps: Deps,
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
    deps.logger.error(
      { err: error, slackError: slackErrorCode(error), teamId: destination.teamId },
      'monitor: could not tell the connector either',
    );
  }
}

/**
 * The routine check of a destination, recorded and announced unless it must be confirmed first
 * or proved nothing. `lastTry` false: an inconclusive check is left for a retry, unlogged and
 * uncounted. Errors are logged and counted, never thrown.
 */
export async function checkWatched(
  deps: Deps,
  watched: Watched,
  counts: CheckCounts,
  lastTry: boolean,
): Promise<FirstLook> {
  const { teamId } = watched.destination;
  const { bucket } = watched.destination.settings;
  try {
    const check = await watch(deps, watched.destination, !lastTry);
    if (check.report.inconclusive) {
      if (!lastTry) return 'inconclusive';
      counts.checked += 1;
      counts.failures += 1;
      return 'settled';
    }
    counts.checked += 1;
    return (await settle(deps, watched, check, counts, false)) ? 'confirm' : 'settled';
  } catch (error) {
    deps.logger.error({ err: error, teamId, bucket }, 'monitor: checking a destination failed');
    counts.failures += 1;
    return 'settled';
  }
}

/**
 * The second look at a newly failing destination, as it is saved now (`version` is the save the
 * first look saw: a destination set up again meanwhile is not confirmed).
 */
export async function confirmFailure(
  deps: Deps,
  client: webApi.WebClient,
  teamId: string,
  bucket: string,
  version: number,
  counts: CheckCounts,
): Promise<void> {
  try {
    const current = await deps.stores.destinations.get(teamId, bucket);
    if (!current || current.version !== version) return;
    const check = await watch(deps, current, false);
    if (check.report.inconclusive) {
      counts.failures += 1;
      return;
    }
    await settle(deps, { destination: current, client }, check, counts, true);
  } catch (error) {
    deps.logger.error({ err: error, teamId, bucket }, 'monitor: confirming a failure failed');
    counts.failures += 1;
  }
}
