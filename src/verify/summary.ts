import type { CheckName, VerificationReport } from './report';

export const CHECK_LABELS: Readonly<Record<CheckName, string>> = {
  challenge: 'Challenge file',
  list: 'List the bucket',
  write: 'Write an object',
  region: 'Bucket region',
};

/** A one-line summary of a report, stored as a destination's last check. */
export function summarizeReport(report: VerificationReport): string {
  if (report.ok) return 'All checks passed';
  const failed = report.checks
    .filter((check) => !check.passed)
    .map((check) => CHECK_LABELS[check.check]);
  return `Failed: ${failed.join(', ')}`;
}
