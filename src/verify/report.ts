/** The four checks of Check and Save, in the order they are shown. */
export const CHECK_NAMES = ['challenge', 'list', 'write', 'region'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/** Where the write check puts its zero-byte object; the loader's own keys never look like this. */
export const WRITE_CHECK_KEY = '_s3_destination_write_check';

/** What happened to one check, in our own small vocabulary (see explain.ts). */
export type CheckOutcome =
  | 'ok'
  | 'skipped'
  | 'not_found'
  | 'access_denied'
  | 'no_such_bucket'
  | 'wrong_region'
  | 'timeout'
  | 'unreachable'
  | 'no_credentials'
  | 'unexpected';

export interface CheckResult {
  readonly check: CheckName;
  readonly outcome: CheckOutcome;
  /** Passed, or skipped for a reason that is not the user's problem. */
  readonly passed: boolean;
  /** What the user is told: the error in plain words, then the fix. Never holds the challenge name. */
  readonly text: string;
}

export interface VerificationReport {
  /** Every check passed (skipped counts as passed). */
  readonly ok: boolean;
  /** At least one failure is ours (credentials, endpoint), not the user's bucket. */
  readonly operatorFault: boolean;
  readonly checks: readonly CheckResult[];
}

export interface VerifyTarget {
  readonly bucket: string;
  readonly region: string;
  readonly challengeKey: string;
}

/** Runs the checks of DESIGN.md section 4 against one bucket. */
export interface Verifier {
  verify(target: VerifyTarget): Promise<VerificationReport>;
}
