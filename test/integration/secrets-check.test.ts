import { randomBytes } from 'node:crypto';
import { Keyring, sealedKeyId } from '../../src/store/secrets';
import {
  checkStoredKey,
  ENCRYPTION_CHECK_KEY,
  StoredKeyError,
} from '../../src/store/secrets-check';
import { useTestRedis } from '../support/redis';

const keyA64 = randomBytes(32).toString('base64');
const keyB64 = randomBytes(32).toString('base64');
const keyA = Keyring.fromKeys(keyA64);
const keyB = Keyring.fromKeys(keyB64);

describe('checkStoredKey: the start-up check of STORE_ENCRYPTION_KEY against Redis', () => {
  const redis = useTestRedis();

  it('writes nothing without a key, when Redis holds no sealed secrets', async () => {
    await checkStoredKey(redis.client, undefined);

    expect(await redis.keys()).toEqual([]);
  });

  it('marks Redis with the current key id the first time it starts with a key', async () => {
    await checkStoredKey(redis.client, keyA);

    const canary = await redis.client.get(ENCRYPTION_CHECK_KEY);
    expect(sealedKeyId(canary!)).toBe(keyA.currentKeyId);
  });

  it('keeps the mark of the first key: a second start with another key is refused', async () => {
    await checkStoredKey(redis.client, keyA);

    await expect(checkStoredKey(redis.client, keyB)).rejects.toBeInstanceOf(StoredKeyError);
    expect(sealedKeyId((await redis.client.get(ENCRYPTION_CHECK_KEY))!)).toBe(keyA.currentKeyId);
  });

  it('passes with the key the secrets were sealed with, or with it as the previous key', async () => {
    await checkStoredKey(redis.client, keyA);

    await expect(checkStoredKey(redis.client, keyA)).resolves.toBeUndefined();
    await expect(
      checkStoredKey(redis.client, Keyring.fromKeys(keyB64, keyA64)),
    ).resolves.toBeUndefined();
  });

  it('refuses a wrong key, naming both key ids and the way out', async () => {
    await checkStoredKey(redis.client, keyA);

    await expect(checkStoredKey(redis.client, keyB)).rejects.toThrow(
      `STORE_ENCRYPTION_KEY does not open the secrets stored in Redis (they were sealed with key id ${keyA.currentKeyId}; STORE_ENCRYPTION_KEY is key id ${keyB.currentKeyId}); set the key they were sealed with, or set it as STORE_ENCRYPTION_KEY_PREVIOUS while rotating`,
    );
  });

  it('refuses to start without a key when Redis holds sealed secrets', async () => {
    await checkStoredKey(redis.client, keyA);

    await expect(checkStoredKey(redis.client, undefined)).rejects.toThrow(
      `Redis holds secrets sealed with key id ${keyA.currentKeyId}, but STORE_ENCRYPTION_KEY is not set`,
    );
  });

  it('refuses a mark that was altered', async () => {
    const parts = keyA.seal('something else').split(':');
    await redis.client.set(ENCRYPTION_CHECK_KEY, parts.join(':'));

    await expect(checkStoredKey(redis.client, keyA)).rejects.toBeInstanceOf(StoredKeyError);
  });
});
