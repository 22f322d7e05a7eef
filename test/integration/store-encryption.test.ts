import { randomBytes } from 'node:crypto';
import { CorruptValueError, SealedValueError } from '../../src/errors';
import {
  createRedisStores,
  destinationKey,
  sessionKey,
  type SavedDestination,
} from '../../src/store';
import { Keyring } from '../../src/store/secrets';
import { rotateSecrets } from '../../src/store/secrets-rotation';
import { useTestRedis } from '../support/redis';
import { savedDestination, setupSession } from '../support/fixtures';

const keyA64 = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');
const keyA = Keyring.fromKeys(keyA64);

describe('Redis stores with STORE_ENCRYPTION_KEY: challenge names sealed at rest', () => {
  const redis = useTestRedis();

  it('stores no plain challenge name in a session or a destination, and the key id beside it', async () => {
    const stores = createRedisStores(redis.client, 3600, { keyring: keyA });
    const session = setupSession();
    const destination = savedDestination();

    await stores.sessions.put(session);
    await stores.destinations.save(destination);

    const rawSession = (await redis.client.get(sessionKey('T1', 'S1')))!;
    const rawDestination = (await redis.client.get(destinationKey('T1', 'acme-data-lake')))!;
    expect(rawSession).not.toContain(session.challengeKey);
    expect(rawDestination).not.toContain(destination.challengeKey);
    expect(rawSession).not.toContain('challenge-file');
    expect(rawDestination).not.toContain('challenge-file');
    expect(JSON.parse(rawSession).challengeKey).toMatch(`s3dsec:2:${keyA.currentKeyId}:`);
    expect(JSON.parse(rawDestination).challengeKey).toMatch(`s3dsec:2:${keyA.currentKeyId}:`);
  });

  it('reads sessions and destinations back as they were saved', async () => {
    const stores = createRedisStores(redis.client, 3600, { keyring: keyA });
    const session = setupSession();
    const destination = savedDestination();

    await stores.sessions.put(session);
    const saved = await stores.destinations.save(destination);

    expect(await stores.sessions.get('T1', 'S1')).toEqual(session);
    expect(saved).toMatchObject({ status: 'saved', destination: { ...destination, version: 1 } });
    expect(await stores.destinations.get('T1', 'acme-data-lake')).toEqual({
      ...destination,
      version: 1,
    });
    expect(await stores.destinations.list('T1')).toEqual([{ ...destination, version: 1 }]);
  });

  it('opens the challenge name of the destination a save replaces and a removal removes', async () => {
    const stores = createRedisStores(redis.client, 3600, { keyring: keyA });
    const first = savedDestination();
    await stores.destinations.save(first);

    const again = await stores.destinations.save({ ...first, channelId: 'C2' });
    const removed = await stores.destinations.remove('T1', 'acme-data-lake');

    expect(again).toMatchObject({ previous: { challengeKey: first.challengeKey, version: 1 } });
    expect(removed).toMatchObject({
      removed: true,
      previous: { challengeKey: first.challengeKey },
    });
  });

  it('keeps the sealed challenge name through a recorded check', async () => {
    const stores = createRedisStores(redis.client, 3600, { keyring: keyA });
    const destination = savedDestination();
    await stores.destinations.save(destination);

    await stores.destinations.record('T1', 'acme-data-lake', 1, {
      lastCheck: { at: '2025-02-01T00:00:00.000Z', ok: false, summary: 'Failed: Challenge file' },
    });

    const raw = (await redis.client.get(destinationKey('T1', 'acme-data-lake')))!;
    expect(raw).not.toContain(destination.challengeKey);
    expect((await stores.destinations.get('T1', 'acme-data-lake'))?.challengeKey).toBe(
      destination.challengeKey,
    );
  });

  it('refuses a plain challenge name once encryption is on, and reads it once the rotation has sealed it', async () => {
    const plain = createRedisStores(redis.client, 3600);
    const session = setupSession();
    const destination = savedDestination();
    await plain.sessions.put(session);
    await plain.destinations.save(destination);

    const sealed = createRedisStores(redis.client, 3600, { keyring: keyA });

    // Stored before encryption was turned on, or planted: never trusted as it is.
    await expect(sealed.sessions.get('T1', 'S1')).rejects.toThrow(/plain text/);
    await expect(sealed.destinations.get('T1', 'acme-data-lake')).rejects.toBeInstanceOf(
      SealedValueError,
    );
    const report = await rotateSecrets(redis.client, keyA);
    expect(report.fromPlainText).toEqual([
      destinationKey('T1', 'acme-data-lake'),
      sessionKey('T1', 'S1'),
    ]);
    expect(await sealed.sessions.get('T1', 'S1')).toEqual(session);
    expect(await sealed.destinations.get('T1', 'acme-data-lake')).toMatchObject({
      challengeKey: destination.challengeKey,
    });
  });

  it('opens values sealed with the previous key while rotating', async () => {
    await createRedisStores(redis.client, 3600, { keyring: keyA }).sessions.put(setupSession());
    const rotating = Keyring.fromKeys(keyB, keyA64);

    const stores = createRedisStores(redis.client, 3600, { keyring: rotating });

    expect((await stores.sessions.get('T1', 'S1'))?.challengeKey).toBe(setupSession().challengeKey);
  });

  it('refuses to read a value sealed with another key: a clear error naming the key id, never garbage', async () => {
    await createRedisStores(redis.client, 3600, { keyring: keyA }).sessions.put(setupSession());
    const other = createRedisStores(redis.client, 3600, { keyring: Keyring.fromKeys(keyB) });

    const reading = other.sessions.get('T1', 'S1');

    await expect(reading).rejects.toBeInstanceOf(SealedValueError);
    await expect(reading).rejects.toBeInstanceOf(CorruptValueError);
    await expect(reading).rejects.toThrow(`sealed with key id ${keyA.currentKeyId}`);
  });

  it('refuses to read a sealed value with no key configured, saying so', async () => {
    await createRedisStores(redis.client, 3600, { keyring: keyA }).destinations.save(
      savedDestination(),
    );
    const plain = createRedisStores(redis.client, 3600);

    await expect(plain.destinations.get('T1', 'acme-data-lake')).rejects.toThrow(
      /STORE_ENCRYPTION_KEY is not set/,
    );
  });

  it('lists past a destination it cannot open, and reports it', async () => {
    const sealedWithA = createRedisStores(redis.client, 3600, { keyring: keyA });
    await sealedWithA.destinations.save(savedDestination('T1', 'bucket-a'));
    const corrupt: CorruptValueError[] = [];
    const withB = createRedisStores(redis.client, 3600, {
      keyring: Keyring.fromKeys(keyB),
      onCorrupt: (error) => corrupt.push(error),
    });
    await withB.destinations.save(savedDestination('T1', 'bucket-b'));

    const listed: SavedDestination[] = await withB.destinations.list('T1');

    expect(listed.map((d) => d.settings.bucket)).toEqual(['bucket-b']);
    expect(corrupt).toEqual([expect.any(SealedValueError)]);
  });
});
