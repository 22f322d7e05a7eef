import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Checks `Authorization: Bearer <token>` against the configured tokens in constant time: equal-length
 * digests compared with timingSafeEqual, every token compared, so the time says nothing of which
 * token (or how much of one) matched.
 */
export function bearerChecker(tokens: readonly string[]): (authorization?: string) => boolean {
  const expected = tokens.map(digest);
  return (authorization) => {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return false;
    const given = digest(match[1]);
    let ok = false;
    for (const token of expected) {
      if (timingSafeEqual(given, token)) ok = true;
    }
    return ok;
  };
}
