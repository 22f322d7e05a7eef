import type { SavedDestination } from '../../../src/store/types';
import { explainCheck } from '../../../src/verify/explain';
import {
  assembleReport,
  checkResult,
  CHECK_NAMES,
  type CheckName,
  type CheckOutcome,
  type VerificationReport,
} from '../../../src/verify/report';
import { destinationSettings } from '../../support/fixtures';

export const CHALLENGE_KEY = 's3-destination-challenge-file-2d0f7a4e-5b1c-4c3e-9f2a-8e6d1b0c7a55';

/** A saved destination that passed its last check; override what the test is about. */
export function passingDestination(overrides: Partial<SavedDestination> = {}): SavedDestination {
  return {
    teamId: 'T1',
    version: 1,
    settings: destinationSettings({
      bucket: 'acme-data-lake',
      format: 'csv',
      csvDelimiter: 'pipe',
      csvForceQuote: true,
    }),
    challengeKey: CHALLENGE_KEY,
    channelId: 'C0ALERTS',
    connectedBy: 'U0ALICE',
    verifiedAt: '2025-01-01T00:00:00.000Z',
    lastCheck: { at: '2025-01-01T00:00:00.000Z', ok: true, summary: 'All checks passed' },
    ...overrides,
  };
}

/** A report with the real user texts, every check `ok` unless named in `outcomes`. */
export function reportWith(
  outcomes: Partial<Record<CheckName, CheckOutcome>> = {},
  bucket = 'acme-data-lake',
): VerificationReport {
  const checks = CHECK_NAMES.map((check) => {
    const outcome = outcomes[check] ?? 'ok';
    return checkResult(
      check,
      outcome,
      explainCheck(check, outcome, { bucket, region: 'us-east-1' }),
    );
  });
  return assembleReport(checks, { regionChecked: true });
}
