// The checks of a saved destination, as verify runs them (every check) or the monitor does (the
// routine check, which never writes), and what a report changes on the destination.
import type { CheckRecord, SavedDestination } from '../store/types';
import type { VerificationReport } from './report';
import type { Verifier } from './verifier-port';
import { summarizeReport } from './summary';

/** How often the monitor compares a bucket's region: it cannot change while the bucket exists. */
export const REGION_CHECK_INTERVAL_MS = 24 * 60 * 60 * 1000;

export interface DestinationCheck {
  readonly report: VerificationReport;
  /** What the check records: the last check, and what else it learnt. */
  readonly record: CheckRecord;
  /** When the check started: the time its record carries. */
  readonly startedAt: Date;
}

/**
 * Runs the checks on a saved destination: everything (`verify`, which writes its test object) or
 * the monitor's routine check (`watch`, which never writes). Records nothing.
 */
export async function checkDestination(
  verifier: Verifier,
  destination: SavedDestination,
  mode: 'verify' | 'watch',
  now: () => Date,
  principalArn?: string,
): Promise<DestinationCheck> {
  const target = {
    bucket: destination.settings.bucket,
    region: destination.settings.region,
    challengeKey: destination.challengeKey,
    ...(destination.ownerId === undefined ? {} : { expectedOwnerId: destination.ownerId }),
    ...(principalArn === undefined ? {} : { principalArn }),
    ...(destination.settings.access === undefined ? {} : { access: destination.settings.access }),
    teamId: destination.teamId,
  };
  const started = now();
  const report =
    mode === 'verify'
      ? await verifier.verify(target)
      : await verifier.watch({ ...target, checkRegion: regionDue(destination, started) });
  return { report, record: recordOf(destination, report, started), startedAt: started };
}

/**
 * What a report changes on the destination. `at` is when the check started, so that of two checks
 * racing, the one that started later wins. A failure that says nothing about the bucket (S3 or the
 * bot's side) is not recorded as the bucket failing: the last check stays as it was.
 */
export function recordOf(
  destination: SavedDestination,
  report: VerificationReport,
  started: Date,
): CheckRecord {
  const at = started.toISOString();
  if (report.inconclusive) return {};
  return {
    lastCheck: { at, ok: report.ok, summary: summarizeReport(report) },
    ...(report.ok ? { verifiedAt: at } : {}),
    ...(report.regionChecked ? { regionCheckedAt: at } : {}),
    // The first owner seen is pinned: values saved before owners were recorded learn it here.
    ...(destination.ownerId === undefined && report.ok && report.challengeOwnerId !== undefined
      ? { ownerId: report.challengeOwnerId }
      : {}),
  };
}

function regionDue(destination: SavedDestination, now: Date): boolean {
  const last = destination.regionCheckedAt ?? destination.connectedAt ?? destination.verifiedAt;
  const at = Date.parse(last);
  return !Number.isFinite(at) || now.getTime() - at >= REGION_CHECK_INTERVAL_MS;
}
