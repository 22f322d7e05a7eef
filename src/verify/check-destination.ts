import type { DestinationStore, SavedDestination } from '../store/types';
import type { VerificationReport, Verifier } from './report';
import { summarizeReport } from './summary';

export interface DestinationCheck {
  readonly report: VerificationReport;
  /** The destination as saved after the check: new last check, and verifiedAt when it passed. */
  readonly destination: SavedDestination;
}

/** Re-runs the checks on a saved destination and records the outcome as its last check. */
export async function checkSavedDestination(
  verifier: Verifier,
  destinations: DestinationStore,
  destination: SavedDestination,
  now: () => Date,
): Promise<DestinationCheck> {
  const report = await verifier.verify({
    bucket: destination.settings.bucket,
    region: destination.settings.region,
    challengeKey: destination.challengeKey,
  });
  const at = now().toISOString();
  const updated: SavedDestination = {
    ...destination,
    verifiedAt: report.ok ? at : destination.verifiedAt,
    lastCheck: { at, ok: report.ok, summary: summarizeReport(report) },
  };
  await destinations.save(updated);
  return { report, destination: updated };
}
