// The monitor's check of one watched destination: the routine check, recorded through the change
// path and told to its workspace, and the second look that confirms a failure before an alert.
import type { Deps } from '../deps-types';
import { audit } from '../destinations/audit';
import { recordCheck } from '../destinations/changes';
import { countedCheck } from '../metrics/metrics';
import type { RoundCounts } from '../store/round-ledger';
import type { SavedDestination } from '../store/types';
import { checkDestination, type DestinationCheck } from '../verify/saved-destination-checks';
import { summarizeReport } from '../verify/summary';
import type { WorkspaceVoice } from './announcer';

/** What the checks of one job did, added to its round's totals. */
export type CheckCounts = RoundCounts;

export const noCounts = (): CheckCounts => ({ checked: 0, alerts: 0, recoveries: 0, failures: 0 });

/** A destination to check, and the voice of its workspace. */
export interface Watched {
  readonly destination: SavedDestination;
  readonly voice: WorkspaceVoice;
}

/** What a first check of a destination found. */
export type FirstLook =
  /** Recorded (and announced when its state changed), or nothing to do. */
  | 'settled'
  /** Newly failing and not announced yet: a second check after a pause confirms it. */
  | 'confirm'
  /** S3 or the bot's side did not answer properly: nothing recorded, try again later. */
  | 'inconclusive';

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
 * Records the check through the change path (compare-and-set on the version checked, so a
 * destination removed or set up again meanwhile is left alone; the store appends the event of a
 * flip with it) and tells the workspace of a change of state. Returns true when the destination is
 * newly failing and was not announced yet: the caller confirms it later.
 */
async function settle(
  deps: Deps,
  { destination, voice }: Watched,
  check: DestinationCheck,
  counts: CheckCounts,
  confirmed: boolean,
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
    announce: async () => {
      const { told, record: answer } = await voice.tell(destination, report);
      await audit(deps, deps.logger, destination.teamId, {
        actor: 'monitor',
        action: report.ok ? 'monitor_recovery' : 'monitor_alert',
        bucket: destination.settings.bucket,
        outcome: summarizeReport(report),
      });
      if (!told) counts.failures += 1;
      else if (report.ok) counts.recoveries += 1;
      else counts.alerts += 1;
      return answer;
    },
  });
  if (outcome === 'recorded') voice.homeChanged();
  return false;
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
  voice: WorkspaceVoice,
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
    await settle(deps, { destination: current, voice }, check, counts, true);
  } catch (error) {
    deps.logger.error({ err: error, teamId, bucket }, 'monitor: confirming a failure failed');
    counts.failures += 1;
  }
}
