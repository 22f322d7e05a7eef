import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-s3d-timestamp';
export const SIGNATURE_HEADER = 'x-s3d-signature';

/** `v1=<hex HMAC-SHA256 of "v1:<timestamp>:<body>">` (DESIGN.md section 10). */
export function signEvent(secret: string, timestamp: number, body: string): string {
  const digest = createHmac('sha256', secret).update(`v1:${timestamp}:${body}`).digest('hex');
  return `v1=${digest}`;
}

/**
 * What a receiver checks: the signature matches (in constant time) and the timestamp is within
 * `toleranceSeconds` of now, so a captured request cannot be replayed later.
 */
export function verifyEventSignature(
  secret: string,
  headers: { timestamp?: string; signature?: string },
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isSafeInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    return false;
  }
  const expected = Buffer.from(signEvent(secret, timestamp, body));
  const given = Buffer.from(headers.signature ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
