// Every S3 error the bot meets, mapped in this one place from the SDK's error name, HTTP status and
// Node's error codes to a verification outcome; what the user reads about it lives in explain.ts.
import type { CheckName, CheckOutcome } from './report';

/** What an S3 error means for a check. */
export interface S3ErrorClassification {
  readonly outcome: CheckOutcome;
  /** The bucket's real region, when S3 said it (`x-amz-bucket-region`, or a redirect body). */
  readonly bucketRegion?: string;
  /** S3's error code and HTTP status, safe to show (e.g. "AccessDenied, HTTP 403"). */
  readonly detail?: string;
}

// Nothing reached S3: the bot's endpoint or network.
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPROTO',
]);
// S3 was reached but its answer broke off: a passing fault, no one's at the bucket.
const DROPPED_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE']);
// S3's own ways of saying "not now": transient, never the bucket failing.
const TRANSIENT_NAMES = new Set([
  'InternalError',
  'ServiceUnavailable',
  'SlowDown',
  'RequestTimeout',
  'OperationAborted',
]);
const TRANSIENT_STATUSES = new Set([500, 502, 503, 504]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT']);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'AbortError']);
// The bot's own identity is at fault: no request about the bucket could be judged.
const CREDENTIAL_NAMES = new Set([
  'CredentialsProviderError',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
]);
const REDIRECT_NAMES = new Set(['PermanentRedirect', 'TemporaryRedirect']);
// Region mismatches S3 reports as a 400 instead of a redirect, when it says which region.
const REGION_MISMATCH_NAMES = new Set([
  'AuthorizationHeaderMalformed',
  'IllegalLocationConstraintException',
]);

/**
 * Maps anything an S3 call threw to our outcome. `check` tells a missing object (HeadObject 404)
 * from a missing bucket: HEAD errors have no body, so a 404 is all S3 says.
 */
export function classifyS3Error(error: unknown, check?: CheckName): S3ErrorClassification {
  if (typeof error !== 'object' || error === null) return { outcome: 'unexpected' };
  const fields = error as Record<string, unknown>;
  const { name, message, codes } = describeError(fields);

  // Checked before the name: the SDK names a reset connection "TimeoutError" (code ECONNRESET).
  if (codes.some((code) => UNREACHABLE_CODES.has(code))) return { outcome: 'unreachable' };
  if (codes.some((code) => DROPPED_CODES.has(code))) return { outcome: 'transient' };
  if (codes.some((code) => TIMEOUT_CODES.has(code)) || TIMEOUT_NAMES.has(name)) {
    return { outcome: 'timeout' };
  }
  if (CREDENTIAL_NAMES.has(name) || message.startsWith('Could not load credentials')) {
    return { outcome: 'no_credentials' };
  }

  const status = httpStatus(fields);
  const bucketRegion = regionFrom(fields);
  const withRegion = bucketRegion === undefined ? {} : { bucketRegion };
  const detail = [safeCode(name) ?? safeCode(codes[0]), status && `HTTP ${status}`]
    .filter(Boolean)
    .join(', ');
  const withDetail = detail ? { detail } : {};
  if (TRANSIENT_NAMES.has(name) || (status !== undefined && TRANSIENT_STATUSES.has(status))) {
    return { outcome: 'transient', ...withDetail };
  }
  if (status === 301 || status === 307 || REDIRECT_NAMES.has(name)) {
    return { outcome: 'wrong_region', ...withRegion };
  }
  if (REGION_MISMATCH_NAMES.has(name) && bucketRegion !== undefined) {
    return { outcome: 'wrong_region', bucketRegion };
  }
  if (name === 'NoSuchBucket') return { outcome: 'no_such_bucket' };
  if (name === 'NoSuchKey') return { outcome: 'not_found' };
  if (status === 404) {
    return {
      outcome: check === undefined || check === 'challenge' ? 'not_found' : 'no_such_bucket',
    };
  }
  // SSE-KMS: S3 answers 403 AccessDenied naming kms:GenerateDataKey, or a KMS.* error code.
  if (/^KMS\./.test(name) || /\bkms:/i.test(message))
    return { outcome: 'kms_denied', ...withDetail };
  // A HeadBucket 403 still names the bucket's region, which is all the region check needs.
  if (name === 'AccessDenied' || status === 403) {
    return { outcome: 'access_denied', ...withRegion, ...withDetail };
  }
  return { outcome: 'unexpected', ...withDetail };
}

/**
 * Why an S3 call failed where the operator must look, for the metrics: `unavailable` (S3 did not
 * answer properly: 5xx, SlowDown, a timeout, a dropped or refused connection) or `credentials`
 * (the bot's own identity was refused or missing).
 */
export type S3CallFailure = 'unavailable' | 'credentials';

const UNAVAILABLE_OUTCOMES: ReadonlySet<CheckOutcome> = new Set([
  'transient',
  'timeout',
  'unreachable',
]);

/** The operator's side of an S3 call that threw; undefined when S3 answered about the bucket. */
export function s3CallFailure(error: unknown): S3CallFailure | undefined {
  const { outcome } = classifyS3Error(error);
  if (outcome === 'no_credentials') return 'credentials';
  return UNAVAILABLE_OUTCOMES.has(outcome) ? 'unavailable' : undefined;
}

function httpStatus(fields: Record<string, unknown>): number | undefined {
  const metadata = fields.$metadata as { httpStatusCode?: unknown } | undefined;
  if (typeof metadata?.httpStatusCode === 'number') return metadata.httpStatusCode;
  const response = fields.$response as { statusCode?: unknown } | undefined;
  return typeof response?.statusCode === 'number' ? response.statusCode : undefined;
}

function regionFrom(fields: Record<string, unknown>): string | undefined {
  // The SDK keeps the raw response on the error as a non-enumerable `$response`.
  const response = fields.$response as { headers?: Record<string, unknown> } | undefined;
  const header = response?.headers?.['x-amz-bucket-region'];
  if (typeof header === 'string' && isRegionCode(header)) return header;
  // AuthorizationHeaderMalformed bodies carry <Region>; PermanentRedirect bodies an <Endpoint>.
  if (typeof fields.Region === 'string' && isRegionCode(fields.Region)) return fields.Region;
  if (typeof fields.Endpoint === 'string') {
    const match = /\.s3[.-]([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com/.exec(fields.Endpoint);
    if (match?.[1]) return match[1];
  }
  return undefined;
}

function isRegionCode(value: string): boolean {
  return /^[a-z]{2}(-[a-z]+)+-\d+$/.test(value);
}

/**
 * The error's name, message and Node error codes. The SDK's retry step replaces a thrown value
 * that is not `instanceof Error` (Node's own errors, when the SDK runs in another realm, as under
 * Jest) by `new Error('AWS SDK error wrapper for <name>: <message>')`: read those back from it.
 */
function describeError(fields: Record<string, unknown>): {
  name: string;
  message: string;
  codes: string[];
} {
  const name = typeof fields.name === 'string' ? fields.name : '';
  const message = typeof fields.message === 'string' ? fields.message : '';
  const codes = networkCodes(fields);
  const wrapped = /^AWS SDK error wrapper for (?:(\w+): )?(.*)$/s.exec(message);
  if (!wrapped) return { name, message, codes };
  const innerMessage = wrapped[2] ?? '';
  const innerCodes: string[] = [...(innerMessage.match(/\bE[A-Z_]{3,}\b/g) ?? [])];
  // Node's message for ECONNRESET when the socket closes before any response.
  if (innerMessage.startsWith('socket hang up')) innerCodes.push('ECONNRESET');
  return { name: wrapped[1] ?? name, message: innerMessage, codes: [...codes, ...innerCodes] };
}

/** Node error codes on the error, its cause, and (connect to several addresses) its `errors`. */
function networkCodes(error: object): string[] {
  const codes: string[] = [];
  const visit = (value: unknown, depth: number) => {
    if (typeof value !== 'object' || value === null || depth > 3) return;
    const { code, cause, errors } = value as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string') codes.push(code);
    visit(cause, depth + 1);
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1);
  };
  visit(error, 0);
  return codes;
}

/** An error code fit to show a user: S3 codes and Node codes, nothing that could echo input. */
function safeCode(value: string | undefined): string | undefined {
  return value && value !== 'Unknown' && value !== 'Error' && /^[A-Za-z][\w.]{0,63}$/.test(value)
    ? value
    : undefined;
}

/** An AWS error's code and HTTP status, safe to show (e.g. "AccessDenied, HTTP 403"). */
export function errorDetail(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const fields = error as Record<string, unknown>;
  const { name, codes } = describeError(fields);
  const status = httpStatus(fields);
  const detail = [safeCode(name) ?? safeCode(codes[0]), status && `HTTP ${status}`]
    .filter(Boolean)
    .join(', ');
  return detail || undefined;
}
