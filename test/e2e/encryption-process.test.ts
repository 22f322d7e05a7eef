import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { createRedisClient, createRedisStores, waitForRedis } from '../../src/store';
import { Keyring, sealedKeyId } from '../../src/store/secrets';
import { checkStoredKey, ENCRYPTION_CHECK_KEY } from '../../src/store/secrets-check';
import { botEnvironment, spawnBot, stopBots, type BotEnvironment } from '../support/bot-process';
import { REDIS_URL } from '../support/redis';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { savedDestination, setupSession } from '../support/fixtures';

// The bot and the command use unprefixed keys, and the canary is one key for all: a database of
// this file's own keeps them from every other test's bot.
const OWN_DB = 13;
const redisUrl = (() => {
  const url = new URL(REDIS_URL);
  url.pathname = `/${OWN_DB}`;
  return url.toString();
})();

const keyA64 = randomBytes(32).toString('base64');
const keyB64 = randomBytes(32).toString('base64');
const keyA = Keyring.fromKeys(keyA64);
const keyB = Keyring.fromKeys(keyB64);

const ROTATE = join(__dirname, '..', '..', 'dist', 'tools', 'rotate-encryption-key.js');

describe('STORE_ENCRYPTION_KEY with the bot and the rotation command as processes', () => {
  let redis: Redis;
  let slack: SlackStandIn;
  const bot = (extra: BotEnvironment) =>
    spawnBot(
      botEnvironment({
        SLACK_API_URL: slack.apiUrl,
        // No STS to ask: the bot starts unproven rather than reaching AWS.
        S3_ENDPOINT: 'http://127.0.0.1:1',
        REDIS_URL: redisUrl,
        ...extra,
      }),
    );

  beforeAll(async () => {
    slack = await startSlackStandIn();
    redis = createRedisClient(redisUrl);
    await waitForRedis(redis, 5000);
  });
  beforeEach(async () => {
    await redis.flushdb();
    // Redis as a bot running with key A left it.
    await checkStoredKey(redis, keyA);
  });
  afterEach(async () => {
    await stopBots();
  });
  afterAll(async () => {
    await redis.flushdb();
    await redis.quit();
    await slack.close();
  });

  it('refuses to start with a key that does not open the secrets, saying which key they need', async () => {
    const started = bot({ STORE_ENCRYPTION_KEY: keyB64 });

    expect(await started.exited()).toBe(1);
    expect(started.stderr.join('\n')).toContain(
      `STORE_ENCRYPTION_KEY does not open the secrets stored in Redis (they were sealed with key id ${keyA.currentKeyId}`,
    );
    expect(started.stderr.join('\n') + started.stdout.join('\n')).not.toContain(keyB64);
  });

  it('refuses to start without a key when Redis holds sealed secrets', async () => {
    const started = bot({});

    expect(await started.exited()).toBe(1);
    expect(started.stderr.join('\n')).toContain(
      `Redis holds secrets sealed with key id ${keyA.currentKeyId}, but STORE_ENCRYPTION_KEY is not set`,
    );
  });

  it('starts with the new key while the old one is the previous key', async () => {
    const started = bot({ STORE_ENCRYPTION_KEY: keyB64, STORE_ENCRYPTION_KEY_PREVIOUS: keyA64 });

    await started.waitForLine(/"mode":"http"/);
  });

  it('re-seals everything with the new key: npm run rotate-encryption-key', async () => {
    const withA = createRedisStores(redis, 3600, { keyring: keyA });
    await withA.sessions.put(setupSession({ teamId: 'T1', id: 'S1' }));
    await withA.destinations.save(savedDestination('T1', 'bucket-one'));
    const installation = '{"team":{"id":"T1"},"bot":{"token":"xoxb-1"}}';
    await redis.set('s3d:{T1}:installation', keyA.seal(installation));

    const { stdout } = await promisify(execFile)(process.execPath, [ROTATE], {
      env: {
        PATH: process.env.PATH,
        REDIS_URL: redisUrl,
        STORE_ENCRYPTION_KEY: keyB64,
        STORE_ENCRYPTION_KEY_PREVIOUS: keyA64,
      },
      cwd: __dirname,
    });

    expect(stdout).toContain(
      `re-sealed 3, already current 0, failed 0 (key id ${keyB.currentKeyId})`,
    );
    const withB = createRedisStores(redis, 3600, { keyring: keyB });
    expect((await withB.sessions.get('T1', 'S1'))?.challengeKey).toBe(setupSession().challengeKey);
    // Re-sealed bound to where it lives.
    expect(keyB.open((await redis.get('s3d:{T1}:installation'))!, 's3d:{T1}:installation')).toBe(
      installation,
    );
    expect(sealedKeyId((await redis.get(ENCRYPTION_CHECK_KEY))!)).toBe(keyB.currentKeyId);
  });

  it('seals what was stored before encryption was turned on: npm run rotate-encryption-key with the key alone', async () => {
    // Redis as a bot without a key left it: no canary, challenge names in plain text.
    await redis.del(ENCRYPTION_CHECK_KEY);
    const plain = createRedisStores(redis, 3600);
    await plain.sessions.put(setupSession({ teamId: 'T1', id: 'S1' }));
    await plain.destinations.save(savedDestination('T1', 'bucket-plain'));
    const withB = createRedisStores(redis, 3600, { keyring: keyB });
    await expect(withB.sessions.get('T1', 'S1')).rejects.toThrow(/plain text/);

    const { stdout } = await promisify(execFile)(process.execPath, [ROTATE], {
      env: { PATH: process.env.PATH, REDIS_URL: redisUrl, STORE_ENCRYPTION_KEY: keyB64 },
      cwd: __dirname,
    });

    for (const key of ['s3d:{T1}:destination:bucket-plain', 's3d:{T1}:session:S1']) {
      expect(stdout).toContain(
        `sealed from plain text (stored before encryption was turned on?): ${key}`,
      );
    }
    expect(stdout).toContain(
      `re-sealed 2, already current 0, failed 0 (key id ${keyB.currentKeyId})`,
    );
    expect(stdout).not.toContain(setupSession().challengeKey);
    expect((await withB.sessions.get('T1', 'S1'))?.challengeKey).toBe(setupSession().challengeKey);
    expect((await withB.destinations.get('T1', 'bucket-plain'))?.challengeKey).toBe(
      savedDestination().challengeKey,
    );
  });

  it('exits 1 from the rotation command when the keys open nothing in Redis', async () => {
    const rotating = promisify(execFile)(process.execPath, [ROTATE], {
      env: { PATH: process.env.PATH, REDIS_URL: redisUrl, STORE_ENCRYPTION_KEY: keyB64 },
      cwd: __dirname,
    });

    await expect(rotating).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`sealed with key id ${keyA.currentKeyId}`),
    });
  });
});
