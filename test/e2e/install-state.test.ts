import { randomBytes } from 'node:crypto';
import type { InstallURLOptions } from '@slack/bolt';
import { InvalidOAuthStateError, RedisStateStore } from '../../src/slack/oauth/state-store';
import { createRedisStores, installationKey } from '../../src/store';
import { Keyring } from '../../src/store/secrets';
import { beginInstall, finishInstall } from '../support/oauth-flow';
import { testRedis, type TestRedis } from '../support/redis';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { STATE_SECRET, startTestApp, type TestApp } from '../support/test-app';

const ENCRYPTION_KEY = randomBytes(32).toString('base64');
const OPTIONS: InstallURLOptions = { scopes: ['commands'] };

let redis: TestRedis;
let slack: SlackStandIn;

beforeAll(async () => {
  redis = await testRedis();
  slack = await startSlackStandIn();
});
afterAll(async () => {
  await slack.close();
  await redis.cleanup();
});
afterEach(async () => {
  await redis.flush();
  slack.reset();
  slack.oauth.clear();
});

/** How many writes Redis has taken since its last save: any write at all moves it. */
async function writesSoFar(): Promise<number> {
  const info = await redis.client.info('persistence');
  return Number(/rdb_changes_since_last_save:(\d+)/.exec(info)?.[1]);
}

describe('the install page', () => {
  let t: TestApp;
  afterEach(async () => t.stop());

  it('writes nothing to Redis, however often it is asked, and an install still completes', async () => {
    t = await startTestApp({
      slack,
      stores: createRedisStores(redis.client, 3600, { keyring: Keyring.fromKeys(ENCRYPTION_KEY) }),
      oauth: { redis: redis.client, encryptionKey: ENCRYPTION_KEY },
    });
    const keysBefore = await redis.keys();
    const writesBefore = await writesSoFar();
    const states = new Set<string>();
    for (let round = 0; round < 100; round++) {
      const pages = await Promise.all(Array.from({ length: 20 }, () => beginInstall(t.base)));
      for (const page of pages) {
        expect(page.response.status).toBe(200);
        states.add(page.state ?? '');
      }
    }
    expect(states.size).toBe(2000);
    expect(await writesSoFar()).toBe(writesBefore);
    expect(await redis.keys()).toEqual(keysBefore);

    const begun = await beginInstall(t.base);
    const code = slack.oauth.issueCode({ teamId: 'TSTATE', installerId: 'UINSTALL' });
    const done = await finishInstall(t.base, { code, state: begun.state ?? '' }, begun.cookie);
    expect(done.status).toBe(200);
    expect(await redis.client.get(installationKey('TSTATE'))).toMatch(/^s3dsec:2:/);
  });
});

describe('an install state', () => {
  const store = () => new RedisStateStore(redis.client, STATE_SECRET);
  const at = new Date('2026-01-01T00:00:00Z');
  const later = (seconds: number) => new Date(at.getTime() + seconds * 1000);

  it('is accepted once within 10 minutes, by any replica', async () => {
    const state = await store().generateStateParam(OPTIONS, at);
    expect(await store().verifyStateParam(later(599), state)).toMatchObject(OPTIONS);
    await expect(store().verifyStateParam(later(1), state)).rejects.toThrow('already used');
  });

  it('is refused once expired, before Redis is written', async () => {
    const state = await store().generateStateParam(OPTIONS, at);
    await expect(store().verifyStateParam(later(600), state)).rejects.toBeInstanceOf(
      InvalidOAuthStateError,
    );
    expect(await redis.keys()).toEqual([]);
  });

  it('is refused when altered or signed with another secret', async () => {
    const state = await store().generateStateParam(OPTIONS, at);
    const [payload, signature] = state.split('.');
    const longer = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as {
      exp: number;
    };
    const extended = Buffer.from(JSON.stringify({ ...longer, exp: longer.exp + 3600 })).toString(
      'base64url',
    );
    await expect(store().verifyStateParam(at, `${extended}.${signature}`)).rejects.toThrow(
      'not issued by this app',
    );
    const other = await new RedisStateStore(redis.client, 'another-secret').generateStateParam(
      OPTIONS,
      at,
    );
    await expect(store().verifyStateParam(at, other)).rejects.toThrow('not issued by this app');
    expect(await redis.keys()).toEqual([]);
  });
});
