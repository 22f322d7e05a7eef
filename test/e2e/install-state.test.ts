import type { InstallURLOptions } from '@slack/bolt';
import { InvalidOAuthStateError, SignedStateStore } from '../../src/slack/oauth/state-store';
import { RedisUsedInstallStates } from '../../src/store/installations';
import { installationKey } from '../../src/store';
import { beginInstall, finishInstall } from '../support/oauth-flow';
import { testRedis, type TestRedis } from '../support/redis';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { STATE_SECRET, startTestApp, type TestApp } from '../support/test-app';

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

/**
 * Every command Redis received while `during` ran that names a key of this file's prefix, as
 * Redis's MONITOR reports it: the server's own write counter would count other clients of a
 * shared Redis too.
 */
async function commandsOnOurKeys(during: () => Promise<void>): Promise<string[]> {
  const monitor = await redis.client.monitor();
  const seen: string[] = [];
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args.some((arg) => arg.startsWith(redis.prefix))) seen.push(args.join(' '));
  });
  try {
    await during();
    // A command Redis took before `during` resolved is reported by then: PING marks the end.
    await redis.client.ping();
  } finally {
    monitor.disconnect();
  }
  return seen;
}

/** The app in OAuth mode over this file's Redis. */
function startOAuthApp(): Promise<TestApp> {
  return startTestApp({
    slack,
    oauth: { redis: redis.client },
  });
}

describe('the install page and its callback', () => {
  let t: TestApp;
  afterEach(async () => t.stop());

  it('writes nothing to Redis, however often it is asked, and an install still completes', async () => {
    t = await startOAuthApp();
    const keysBefore = await redis.keys();
    const states = new Set<string>();
    const commands = await commandsOnOurKeys(async () => {
      for (let round = 0; round < 100; round++) {
        const pages = await Promise.all(Array.from({ length: 20 }, () => beginInstall(t.base)));
        for (const page of pages) {
          expect(page.response.status).toBe(200);
          states.add(page.state ?? '');
        }
      }
    });
    expect(states.size).toBe(2000);
    expect(commands).toEqual([]);
    expect(await redis.keys()).toEqual(keysBefore);

    const begun = await beginInstall(t.base);
    const code = slack.oauth.issueCode({ teamId: 'TSTATE', installerId: 'UINSTALL' });
    const done = await finishInstall(t.base, { code, state: begun.state ?? '' }, begun.cookie);
    expect(done.status).toBe(200);
    expect(await redis.client.get(installationKey('TSTATE'))).toMatch(/^s3dsec:2:/);
  });

  it('writes nothing for codes Slack refuses, and a state still works once for a real install', async () => {
    t = await startOAuthApp();
    const keysBefore = await redis.keys();

    // Anyone can get a fresh signed state from the install page and make up a code.
    for (let attempt = 0; attempt < 30; attempt++) {
      const begun = await beginInstall(t.base);
      const params = { code: `made-up-${attempt}`, state: begun.state ?? '' };
      expect((await finishInstall(t.base, params, begun.cookie)).status).toBe(400);
    }
    expect(slack.callsTo('oauth.v2.access')).toHaveLength(30);
    expect(await redis.keys()).toEqual(keysBefore);

    const begun = await beginInstall(t.base);
    const state = begun.state ?? '';
    const workspace = { teamId: 'TSTATE', installerId: 'UINSTALL' };
    const installed = { code: slack.oauth.issueCode(workspace), state };
    expect((await finishInstall(t.base, installed, begun.cookie)).status).toBe(200);
    expect(await redis.client.get(installationKey('TSTATE'))).toMatch(/^s3dsec:2:/);
    const replayed = { code: slack.oauth.issueCode(workspace), state };
    const replay = await finishInstall(t.base, replayed, begun.cookie);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('was already used');
  });
});

describe('an install state', () => {
  const store = () => new SignedStateStore(new RedisUsedInstallStates(redis.client), STATE_SECRET);
  const at = new Date('2026-01-01T00:00:00Z');
  const later = (seconds: number) => new Date(at.getTime() + seconds * 1000);

  it('is accepted until an install has used it, within 10 minutes, by any replica', async () => {
    const state = await store().generateStateParam(OPTIONS, at);
    expect(await store().verifyStateParam(later(599), state)).toMatchObject(OPTIONS);
    // Checking it writes nothing: only an install that Slack accepted marks it used.
    expect(await redis.keys()).toEqual([]);
    expect(await store().verifyStateParam(later(1), state)).toMatchObject(OPTIONS);

    await store().markUsed(state, later(2));
    await expect(store().verifyStateParam(later(3), state)).rejects.toThrow('already used');
    await expect(store().markUsed(state, later(3))).rejects.toThrow('already used');
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
    const other = await new SignedStateStore(
      new RedisUsedInstallStates(redis.client),
      'another-secret',
    ).generateStateParam(OPTIONS, at);
    await expect(store().verifyStateParam(at, other)).rejects.toThrow('not issued by this app');
    expect(await redis.keys()).toEqual([]);
  });
});
