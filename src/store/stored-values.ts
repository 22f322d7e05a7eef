import type { z } from 'zod';
import { CorruptValueError, SealedValueError } from '../errors';
import { KeyringError, openStored, sealStored, type Keyring } from './secrets';

export function parseStored<T>(key: string, raw: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new CorruptValueError(key, error);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new CorruptValueError(key, parsed.error);
  return parsed.data;
}

/** A session or destination whose challenge name is stored sealed when a keyring is configured. */
interface WithChallengeKey {
  challengeKey: string;
}

/** Where a challenge name lives, which its sealing is bound to: its Redis key and field. */
export function challengeKeyBinding(key: string): string {
  return `${key}#challengeKey`;
}

/** `value` as stored at `key`: its challenge name sealed (bound to `key`) when there is a keyring. */
export function sealChallengeKey<T extends WithChallengeKey>(
  value: T,
  keyring: Keyring | undefined,
  key: string,
): T {
  return {
    ...value,
    challengeKey: sealStored(value.challengeKey, keyring, challengeKeyBinding(key)),
  };
}

/** Parses a stored session or destination and opens its challenge name (sealed, or plain from before). */
export function parseWithChallengeKey<T extends WithChallengeKey>(
  key: string,
  raw: string,
  schema: z.ZodType<T>,
  keyring: Keyring | undefined,
): T {
  const value = parseStored(key, raw, schema);
  try {
    return {
      ...value,
      challengeKey: openStored(value.challengeKey, keyring, challengeKeyBinding(key)),
    };
  } catch (error) {
    if (error instanceof KeyringError) throw new SealedValueError(key, error);
    throw error;
  }
}

/** What the Redis stores of secrets take beside their client. */
export interface SecretStoreOptions {
  /** Seals challenge names before they reach Redis; none: stored as they are. */
  readonly keyring?: Keyring;
}
