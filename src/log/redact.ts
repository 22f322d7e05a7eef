const REDACTED = '[REDACTED]';

/** Patterns that are secret wherever they appear: Slack tokens, challenge names, response URLs. */
const SECRET_PATTERNS: readonly RegExp[] = [
  /xox[abposer]-[A-Za-z0-9-]+/g,
  /xapp-[A-Za-z0-9-]+/g,
  /s3-destination-challenge-file-[0-9a-fA-F-]{36}/g,
  /https:\/\/hooks\.slack\.com\/[^\s"'\\]+/g,
];

/**
 * Returns a function that removes every secret from a string: the fixed patterns above plus the
 * literal values given (the signing secret and anything else configured at start-up).
 */
export function createRedactor(
  literals: readonly (string | undefined)[] = [],
): (text: string) => string {
  const secrets = literals.filter(
    (value): value is string => typeof value === 'string' && value.length >= 6,
  );
  return (text) => {
    let clean = text;
    for (const pattern of SECRET_PATTERNS) clean = clean.replace(pattern, REDACTED);
    for (const secret of secrets) clean = clean.split(secret).join(REDACTED);
    return clean;
  };
}
