import { ENCRYPTION_CHECK_KEY } from './keys';
import { AppError } from '../errors';
import { storeCommand } from './redis-errors';
import type { RedisClient } from './redis-client';
import {
  CURRENT_KEY_VARIABLE,
  isSealed,
  Keyring,
  KeyringError,
  PREVIOUS_KEY_VARIABLE,
  sealedKeyId,
  sealedVersion,
} from './secrets';

/**
 * ENCRYPTION_CHECK_KEY holds a known text sealed with the key the secrets in Redis are sealed
 * with, so that a wrong key stops the bot at start instead of failing every read later. Written by
 * the first start with a key; rewritten by the rotation command once every secret has the new key.
 */
export { ENCRYPTION_CHECK_KEY };
const ENCRYPTION_CHECK_TEXT = 's3-destination-bot encryption check';

/** The configured keys do not fit the secrets stored in Redis: the bot must not start. */
export class StoredKeyError extends AppError {
  constructor(message: string) {
    super('stored_key_mismatch', message);
  }
}

/**
 * Resolves when the configured keys open the secrets stored in Redis (or there are none yet, and
 * then marks Redis with the current key), and confirms the keyring: it seals and opens from then
 * on, refusing plain and unbound values when the canary says a rotation has bound every value.
 * Throws a StoredKeyError saying which key they need when they do not, or when secrets are sealed
 * and no key is configured.
 */
export async function checkStoredKey(
  redis: RedisClient,
  keyring: Keyring | undefined,
): Promise<void> {
  const stored = await storeCommand(ENCRYPTION_CHECK_KEY, () => redis.get(ENCRYPTION_CHECK_KEY));
  if (stored === null || !isSealed(stored)) {
    // NX: of two replicas starting with different keys, the first to write decides.
    if (keyring) {
      await markSealedWith(redis, keyring, stored === null ? 'NX' : undefined);
      keyring.confirm({ bindingRequired: false });
    }
    return;
  }
  const keyId = sealedKeyId(stored);
  if (!keyring) {
    throw new StoredKeyError(
      `Redis holds secrets sealed with key id ${keyId}, but ${CURRENT_KEY_VARIABLE} is not set; set the key they were sealed with`,
    );
  }
  // A canary bound to its own key is written by a rotation that bound every value.
  const bound = sealedVersion(stored) !== '1';
  let opened: string | undefined;
  try {
    opened = keyring.openCanary(stored, bound ? ENCRYPTION_CHECK_KEY : undefined);
  } catch (error) {
    if (!(error instanceof KeyringError)) throw error;
  }
  if (opened !== ENCRYPTION_CHECK_TEXT) {
    throw new StoredKeyError(
      `${CURRENT_KEY_VARIABLE} does not open the secrets stored in Redis (they were sealed with key id ${keyId}; ` +
        `${CURRENT_KEY_VARIABLE} is key id ${keyring.currentKeyId}` +
        (keyring.previousKeyId
          ? `, ${PREVIOUS_KEY_VARIABLE} key id ${keyring.previousKeyId}`
          : '') +
        `); set the key they were sealed with, or set it as ${PREVIOUS_KEY_VARIABLE} while rotating`,
    );
  }
  keyring.confirm({ bindingRequired: bound });
}

/**
 * Records that the secrets in Redis are sealed with the keyring's current key; `bound` (the
 * rotation, once every value is re-sealed): each bound to where it lives, too.
 */
export async function markSealedWith(
  redis: RedisClient,
  keyring: Keyring,
  mode?: 'NX',
  bound = false,
): Promise<void> {
  const sealed = keyring.sealCanary(
    ENCRYPTION_CHECK_TEXT,
    bound ? ENCRYPTION_CHECK_KEY : undefined,
  );
  await storeCommand(ENCRYPTION_CHECK_KEY, () =>
    mode ? redis.set(ENCRYPTION_CHECK_KEY, sealed, mode) : redis.set(ENCRYPTION_CHECK_KEY, sealed),
  );
}
