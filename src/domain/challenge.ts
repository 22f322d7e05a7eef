import { randomUUID } from 'node:crypto';

export const CHALLENGE_PREFIX = 's3-destination-challenge-file-';

const CHALLENGE_KEY = new RegExp(
  `^${CHALLENGE_PREFIX}[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`,
);

/** A fresh challenge file name; the UUID is cryptographically random because the name is a credential. */
export function newChallengeKey(): string {
  return CHALLENGE_PREFIX + randomUUID();
}

/** True only for a name `newChallengeKey` could have produced (lowercase UUID v4, no extension). */
export function isChallengeKey(value: string): boolean {
  return CHALLENGE_KEY.test(value);
}
