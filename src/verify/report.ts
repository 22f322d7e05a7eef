/** The checks of Check and Save on every bucket, in the order they are shown. */
export const CHECK_NAMES = ['challenge', 'list', 'write', 'ownership', 'region'] as const;
/**
 * A check's name. `access` (reaching the bucket the destination's way: assuming its role) comes
 * first, and only where that way has something to prove.
 */
export type CheckName = 'access' | (typeof CHECK_NAMES)[number];

/** Where the write check puts its zero-byte object; the loader's own keys never look like this. */
export const WRITE_CHECK_KEY = '_s3_destination_write_check';

/** What happened to one check, in our own small vocabulary (see explain.ts). */
export type CheckOutcome =
  | 'ok'
  | 'skipped'
  /** Not run: the challenge file must prove the bucket is the user's first. */
  | 'not_run'
  | 'not_found'
  | 'access_denied'
  /** A denial that names KMS: the bucket's default encryption key does not let our principal use it. */
  | 'kms_denied'
  | 'no_such_bucket'
  | 'wrong_region'
  /** The objects we write would belong to us, not the bucket owner (ACLs enabled). A warning. */
  | 'owner_differs'
  /** The challenge file has another owner than when the destination was saved. */
  | 'changed_hands'
  /** S3 did not answer properly (5xx, SlowDown, a reset connection): no one's fault at the bucket. */
  | 'transient'
  | 'timeout'
  | 'unreachable'
  | 'no_credentials'
  /** STS refused AssumeRole: the trust policy does not let our principal in with this ExternalId. */
  | 'role_denied'
  /** STS says the role does not exist. */
  | 'role_not_found'
  /** STS is not activated in the region for the role's account. */
  | 'sts_region_disabled'
  /** The role could be assumed without the ExternalId too: its trust policy does not require it. A warning. */
  | 'external_id_not_required'
  | 'unexpected';

/** How a check counts: `warning` still lets the destination be saved. */
export type CheckStatus = 'passed' | 'warning' | 'skipped' | 'not_run' | 'failed';

export interface CheckResult {
  readonly check: CheckName;
  readonly outcome: CheckOutcome;
  readonly status: CheckStatus;
  /** Passed, warned, or skipped for a reason that is not the user's problem. */
  readonly passed: boolean;
  /** What the user is told: the error in plain words, then the fix. Never holds the challenge name. */
  readonly text: string;
  /** The bucket's real region, when S3 named it (a redirect, or the region check). */
  readonly actualRegion?: string;
}

export interface VerificationReport {
  /** No check failed (warnings and skipped checks count as passed). */
  readonly ok: boolean;
  /** At least one failure is ours (credentials, endpoint), not the user's bucket. */
  readonly operatorFault: boolean;
  /** At least one failure is S3 not answering properly: it proves nothing about the bucket. */
  readonly transient: boolean;
  /** It failed, but every failure is S3's or the bot's: nothing was learnt about the bucket. */
  readonly inconclusive: boolean;
  readonly checks: readonly CheckResult[];
  /** The challenge file's owner, when the engine reported it (saved to pin the bucket's owner). */
  readonly challengeOwnerId?: string;
  /** Whether the region was compared in this run. */
  readonly regionChecked: boolean;
}

const OPERATOR_FAULTS: ReadonlySet<CheckOutcome> = new Set(['no_credentials', 'unreachable']);
const TRANSIENT_OUTCOMES: ReadonlySet<CheckOutcome> = new Set(['transient', 'timeout']);
const STATUS_OF: Partial<Record<CheckOutcome, CheckStatus>> = {
  ok: 'passed',
  owner_differs: 'warning',
  external_id_not_required: 'warning',
  skipped: 'skipped',
  not_run: 'not_run',
};

/** Failures that are ours (credentials, network, endpoint), not the user's bucket. */
export function isOperatorFault(outcome: CheckOutcome): boolean {
  return OPERATOR_FAULTS.has(outcome);
}

/** S3 did not answer properly: the outcome proves nothing about the bucket. */
export function isTransient(outcome: CheckOutcome): boolean {
  return TRANSIENT_OUTCOMES.has(outcome);
}

/** One check's result from its outcome and the text the user is told. */
export function checkResult(check: CheckName, outcome: CheckOutcome, text: string): CheckResult {
  const status = STATUS_OF[outcome] ?? 'failed';
  const passed = status === 'passed' || status === 'warning' || status === 'skipped';
  return { check, outcome, status, passed, text };
}

/** The report over some check results: whether it passed, and whose the failures are. */
export function assembleReport(
  checks: readonly CheckResult[],
  extras: { regionChecked: boolean; challengeOwnerId?: string },
): VerificationReport {
  const failed = checks.filter((result) => result.status === 'failed');
  const outside = (result: CheckResult) =>
    isOperatorFault(result.outcome) || isTransient(result.outcome);
  return {
    ok: checks.every((result) => result.passed),
    operatorFault: failed.some((result) => isOperatorFault(result.outcome)),
    transient: failed.some((result) => isTransient(result.outcome)),
    inconclusive: failed.length > 0 && failed.every(outside),
    checks,
    ...extras,
  };
}
