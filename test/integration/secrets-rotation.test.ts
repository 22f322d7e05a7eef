import { randomBytes } from 'node:crypto';
import {
  connectRedis,
  createRedisStores,
  destinationKey,
  sessionKey,
  waitForRedis,
  type RedisClient,
} from '../../src/store';
import { isSealed, Keyring, sealedKeyId } from '../../src/store/secrets';
import { checkStoredKey, ENCRYPTION_CHECK_KEY } from '../../src/store/secrets-check';
import { rotateSecrets } from '../../src/store/secrets-rotation';
import { startCluster, type RedisTopology } from '../support/redis-topologies';
import { useTestRedis } from '../support/redis';
import { savedDestination, setupSession } from '../support/fixtures';

const keyA64 = randomBytes(32).toString('base64');
const keyB64 = randomBytes(32).toString('base64');
const keyA = Keyring.fromKeys(keyA64);
const keyBOnly = Keyring.fromKeys(keyB64);
const rotating = Keyring.fromKeys(keyB64, keyA64);
/** The installation's key (sealed whole by src/slack/oauth/installations.ts). */
const installationKey = (teamId: string) => `s3d:{${teamId}}:installation`;
const installation = JSON.stringify({ team: { id: 'T1' }, bot: { token: 'xoxb-secret-token' } });

/** Sessions and destinations of two teams sealed with key A, an installation, a plain old value. */
async function seedWithKeyA(redis: RedisClient): Promise<void> {
  const withA = createRedisStores(redis, 3600, { keyring: keyA });
  await checkStoredKey(redis, keyA);
  await withA.sessions.put(setupSession({ teamId: 'T1', id: 'S1' }));
  await withA.sessions.put(setupSession({ teamId: 'T2', id: 'S2' }));
  await withA.destinations.save(savedDestination('T1', 'bucket-one'));
  await withA.destinations.save(savedDestination('T2', 'bucket-two'));
  await redis.set(installationKey('T1'), keyA.seal(installation));
  // Saved before encryption was turned on.
  await createRedisStores(redis, 3600).destinations.save(savedDestination('T1', 'bucket-plain'));
}

const secretKeys = [
  sessionKey('T1', 'S1'),
  sessionKey('T2', 'S2'),
  destinationKey('T1', 'bucket-one'),
  destinationKey('T2', 'bucket-two'),
  destinationKey('T1', 'bucket-plain'),
];

/** What the first rotation after seedWithKeyA reports: every secret re-sealed, one from plain text. */
const FIRST_ROTATION = {
  resealed: 6,
  fromPlainText: [destinationKey('T1', 'bucket-plain')],
  current: 0,
  gone: 0,
  failures: [],
};

/** Every secret read with key B alone; every raw value sealed with B, none plain. */
async function expectAllSealedWithB(redis: RedisClient): Promise<void> {
  const withB = createRedisStores(redis, 3600, { keyring: keyBOnly });
  expect((await withB.sessions.get('T1', 'S1'))?.challengeKey).toBe(setupSession().challengeKey);
  expect((await withB.sessions.get('T2', 'S2'))?.challengeKey).toBe(setupSession().challengeKey);
  for (const [team, bucket] of [
    ['T1', 'bucket-one'],
    ['T2', 'bucket-two'],
    ['T1', 'bucket-plain'],
  ]) {
    expect((await withB.destinations.get(team!, bucket!))?.challengeKey).toBe(
      savedDestination().challengeKey,
    );
  }
  for (const key of secretKeys) {
    const challengeKey = JSON.parse((await redis.get(key))!).challengeKey as string;
    expect(sealedKeyId(challengeKey)).toBe(keyBOnly.currentKeyId);
  }
  const sealedInstallation = (await redis.get(installationKey('T1')))!;
  expect(sealedKeyId(sealedInstallation)).toBe(keyBOnly.currentKeyId);
  expect(keyBOnly.open(sealedInstallation, installationKey('T1'))).toBe(installation);
  await expect(checkStoredKey(redis, keyBOnly)).resolves.toBeUndefined();
}

describe('rotateSecrets: re-sealing every secret in Redis with the new key', () => {
  const redis = useTestRedis();

  it('re-seals sessions, destinations, installations and plain old values, so key B alone opens them', async () => {
    await seedWithKeyA(redis.client);

    const report = await rotateSecrets(redis.client, rotating);

    expect(report).toEqual(FIRST_ROTATION);
    await expectAllSealedWithB(redis.client);
    const raw = await Promise.all(secretKeys.map((key) => redis.client.get(key)));
    expect(raw.join('\n')).not.toContain('challenge-file');
  });

  it('keeps the sessions’ time to live and the destinations’ lack of one', async () => {
    await seedWithKeyA(redis.client);
    await redis.client.expire(sessionKey('T1', 'S1'), 777);

    await rotateSecrets(redis.client, rotating);

    const ttl = await redis.client.ttl(sessionKey('T1', 'S1'));
    expect(ttl).toBeGreaterThan(700);
    expect(ttl).toBeLessThanOrEqual(777);
    expect(await redis.client.ttl(destinationKey('T1', 'bucket-one'))).toBe(-1);
  });

  it('counts a second run as already current, and touches nothing', async () => {
    await seedWithKeyA(redis.client);
    await rotateSecrets(redis.client, rotating);
    const before = await Promise.all(secretKeys.map((key) => redis.client.get(key)));

    const report = await rotateSecrets(redis.client, rotating);

    expect(report).toEqual({ resealed: 0, fromPlainText: [], current: 6, gone: 0, failures: [] });
    expect(await Promise.all(secretKeys.map((key) => redis.client.get(key)))).toEqual(before);
  });

  it('reports a value no key opens, naming its key id, and leaves it and the canary as they were', async () => {
    await seedWithKeyA(redis.client);
    const stranger = Keyring.fromKeys(randomBytes(32).toString('base64'));
    await redis.client.set(installationKey('T9'), stranger.seal(installation));

    const report = await rotateSecrets(redis.client, rotating);

    expect(report.resealed).toBe(6);
    expect(report.failures).toEqual([
      {
        key: installationKey('T9'),
        reason: expect.stringContaining(`sealed with key id ${stranger.currentKeyId}`),
      },
    ]);
    expect(sealedKeyId((await redis.client.get(installationKey('T9')))!)).toBe(
      stranger.currentKeyId,
    );
    expect(sealedKeyId((await redis.client.get(ENCRYPTION_CHECK_KEY))!)).toBe(keyA.currentKeyId);
  });

  it('reports a value that is not JSON without quoting it', async () => {
    await redis.client.set(sessionKey('T1', 'S1'), 's3d-challenge-not-json');

    const report = await rotateSecrets(redis.client, rotating);

    expect(report.failures).toEqual([
      { key: sessionKey('T1', 'S1'), reason: 'the value is not JSON' },
    ]);
  });

  it('never overwrites a save made meanwhile with older data', async () => {
    await seedWithKeyA(redis.client);
    const newer = { ...savedDestination('T1', 'bucket-one'), channelId: 'C-NEWER' };
    const withB = createRedisStores(redis.client, 3600, { keyring: rotating });
    // The save lands between the rotation's read of the value and its write.
    const get = redis.client.get.bind(redis.client);
    let saved = false;
    const spy = jest.spyOn(redis.client, 'get').mockImplementation(async (key) => {
      const value = await get(key);
      if (!saved && key === destinationKey('T1', 'bucket-one')) {
        saved = true;
        await withB.destinations.save(newer);
      }
      return value;
    });

    try {
      await rotateSecrets(redis.client, rotating);
    } finally {
      spy.mockRestore();
    }

    expect(saved).toBe(true);
    expect((await withB.destinations.get('T1', 'bucket-one'))?.channelId).toBe('C-NEWER');
  });
});

describe('rotateSecrets on a Redis Cluster: every primary', () => {
  let cluster: RedisTopology;
  let redis: RedisClient;

  beforeAll(async () => {
    cluster = await startCluster();
    redis = connectRedis(cluster.url, { commandTimeoutMs: 5000 });
    await waitForRedis(redis, 10000);
  });
  afterAll(async () => {
    await redis?.quit().catch(() => redis.disconnect());
    await cluster?.stop();
  });

  it('re-seals the secrets of teams whose slots live on different primaries', async () => {
    await seedWithKeyA(redis);

    const report = await rotateSecrets(redis, rotating);

    expect(report).toEqual(FIRST_ROTATION);
    await expectAllSealedWithB(redis);
    expect(isSealed((await redis.get(ENCRYPTION_CHECK_KEY))!)).toBe(true);
  });
});
