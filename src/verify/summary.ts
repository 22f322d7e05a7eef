import type { CheckName, VerificationReport } from './report';

export const CHECK_LABELS: Readonly<Record<CheckName, string>> = {
  access: 'Assume the role',
  challenge: 'Challenge file',
  list: 'List the bucket',
  write: 'Write an object',
  ownership: 'Object ownership',
  region: 'Bucket region',
};

/** A one-line summary of a report, stored as a destination's last check. */
export function summarizeReport(report: VerificationReport): string {
  const labelled = (status: 'failed' | 'warning') =>
    report.checks.filter((check) => check.status === status).map((c) => CHECK_LABELS[c.check]);
  const warnings = labelled('warning');
  const warned = warnings.length > 0 ? ` (warning: ${warnings.join(', ')})` : '';
  if (report.ok) return `All checks passed${warned}`;
  return `Failed: ${labelled('failed').join(', ')}${warned}`;
}
