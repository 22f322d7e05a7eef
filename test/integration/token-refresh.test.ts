import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createLogger } from '../../src/log/logger';
import { Installations, type TokenRefresher } from '../../src/slack/oauth/installations';
import { slackTokenCheck, slackTokenRefresher } from '../../src/slack/oauth/slack-tokens';
import { RedisInstallationStorage } from '../../src/store/installations';
import {
  createRedisClient,
  installationKey,
  RedisLockStore,
  tokenRefreshLockKey,
  waitForRedis,
} from '../../src/store';
import { Keyring, sealedKeyId } from '../../src/store/secrets';
import { rotateSecrets } from '../../src/store/secrets-rotation';
import { workspaceInstallation } from '../support/installation';
import { startRedisProxy, testRedis, type RedisProxy, type TestRedis } from '../support/redis';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { OAUTH_CREDENTIALS } from '../support/test-app';

const key64 = randomBytes(32).toString('base64');
const keyring = Keyring.fromKeys(key64);
const TEAM = 'TROTATE';

let redis: TestRedis;
let slack: SlackStandIn;
let proxy: RedisProxy;
let proxied: Redis;
const logs: string[] = [];
const logger = createLogger({
  level: 'trace',
  destination: { write: (line: string) => logs.push(line) },
});

beforeAll(async () => {
  redis = await testRedis();
  slack = await startSlackStandIn();
  proxy = await startRedisProxy();
  proxied = createRedisClient(proxy.url, { keyPrefix: redis.prefix, commandTimeoutMs: 300 });
  await waitForRedis(proxied, 5000);
});
afterAll(async () => {
  proxied.disconnect();
  await proxy.close();
  await slack.close();
  await redis.cleanup();
});
afterEach(async () => {
  proxy.thaw();
  await redis.flush();
  slack.oauth.clear();
  logs.length = 0;
});

/**
 * Installs the workspace at the stand-in with a token that expires within the hour (stored as
 * expiring in `leftSeconds`, as if installed a while ago; an hour by default).
 */
async function installRotating(store: Installations, leftSeconds?: number): Promise<void> {
  const code = slack.oauth.issueCode({ teamId: TEAM, expiresInSeconds: 3600 });
  const form = new URLSearchParams({
    client_id: OAUTH_CREDENTIALS.clientId,
    client_secret: OAUTH_CREDENTIALS.clientSecret,
    code,
  });
  const answer = (await (
    await fetch(`${slack.apiUrl}oauth.v2.access`, { method: 'POST', body: form })
  ).json()) as {
    access_token: string;
    refresh_token: string;
    expires_in: number;
  };
  await store.save(
    workspaceInstallation({
      teamId: TEAM,
      token: answer.access_token,
      rotation: {
        refreshToken: answer.refresh_token,
        expiresAt: Math.floor(Date.now() / 1000) + (leftSeconds ?? answer.expires_in),
      },
    }),
  );
}

/** Installations refreshing tokens that expire within `refreshBeforeSeconds` (0: never). */
function installations(
  client: Redis,
  refresh: TokenRefresher,
  refreshBeforeSeconds = 7200,
  keys: Keyring = keyring,
): Installations {
  return new Installations(new RedisInstallationStorage(client), keys, {
    locks: new RedisLockStore(redis.client),
    refresh,
    checkToken: slackTokenCheck(slack.apiUrl, logger),
    logger,
    now: () => new Date(),
    refreshBeforeSeconds,
  });
}

/**
 * What Redis holds works, and so does its refresh token: read without refreshing, then
 * refreshed by another replica.
 */
async function expectStoredPairWorks(token: string | undefined): Promise<void> {
  const slackRefresh = slackTokenRefresher(OAUTH_CREDENTIALS, slack.apiUrl, logger);
  const reader = installations(redis.client, slackRefresh, 0);
  expect((await reader.fresh({ teamId: TEAM }))?.bot?.token).toBe(token);
  const refresher = installations(redis.client, slackRefresh);
  expect(await works((await refresher.fresh({ teamId: TEAM }))?.bot?.token)).toBe(true);
  expect(slack.oauth.refreshes).toBe(2);
  expect(slack.oauth.refusedRefreshes).toBe(0);
}

/**
 * Resolves once Redis holds `token` as the workspace's (read by a replica that refreshes nothing)
 * and the refresh lock is free again: the process that kept the token has finished with it.
 */
async function waitForStoredToken(token: string | undefined): Promise<void> {
  const reader = installations(redis.client, () => Promise.reject(new Error('no refresh')), 0);
  const stored = async () =>
    (await reader.fresh({ teamId: TEAM }))?.bot?.token === token &&
    (await redis.client.exists(tokenRefreshLockKey(TEAM))) === 0;
  const until = Date.now() + 10_000;
  while (!(await stored())) {
    if (Date.now() > until) throw new Error('the refreshed token was not stored');
    await sleep(50);
  }
}

/** Whether Slack (the stand-in) takes the token. */
async function works(token: string | undefined): Promise<boolean> {
  const answer = await fetch(`${slack.apiUrl}auth.test`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  return ((await answer.json()) as { ok: boolean }).ok;
}

describe('a refreshed token', () => {
  it('is kept when the value changed between the read and the write (a re-seal meanwhile)', async () => {
    const slackRefresh = slackTokenRefresher(OAUTH_CREDENTIALS, slack.apiUrl, logger);
    const store = installations(redis.client, async (refreshToken) => {
      const grant = await slackRefresh(refreshToken);
      // Slack has spent the old refresh token; the stored value changes before ours is written.
      const key = installationKey(TEAM);
      const raw = (await redis.client.get(key)) ?? '';
      await redis.client.set(key, keyring.seal(keyring.open(raw, key), key));
      return grant;
    });
    await installRotating(store);

    const refreshed = await store.fresh({ teamId: TEAM });
    expect(slack.oauth.refreshes).toBe(1);
    expect(refreshed?.bot?.token).toBe(slack.oauth.tokensOf(TEAM)[1]);
    expect(await works(refreshed?.bot?.token)).toBe(true);

    await expectStoredPairWorks(refreshed?.bot?.token);
  });

  it('is kept when Redis times out writing it, once Redis answers again', async () => {
    const slackRefresh = slackTokenRefresher(OAUTH_CREDENTIALS, slack.apiUrl, logger);
    const store = installations(proxied, async (refreshToken) => {
      const grant = await slackRefresh(refreshToken);
      // Redis stops answering for a moment, right after Slack's grant.
      proxy.freeze();
      setTimeout(() => proxy.thaw(), 700);
      return grant;
    });
    await installRotating(store);

    const refreshed = await store.fresh({ teamId: TEAM });
    expect(await works(refreshed?.bot?.token)).toBe(true);
    await waitForStoredToken(refreshed?.bot?.token);
    await expectStoredPairWorks(refreshed?.bot?.token);
  });

  it('serves this process from memory while Redis cannot take it, and is stored once Redis answers', async () => {
    const slackRefresh = slackTokenRefresher(OAUTH_CREDENTIALS, slack.apiUrl, logger);
    const refreshing = async (refreshToken: string) => {
      const grant = await slackRefresh(refreshToken);
      // Redis stops answering right after Slack's grant, for longer than a write is retried.
      proxy.freeze();
      return grant;
    };
    // Refreshed 30 minutes before expiry: the stored token (10 minutes left) is, the new one not.
    const store = installations(proxied, refreshing, 1800);
    await installRotating(store, 600);

    const refreshed = await store.fresh({ teamId: TEAM });
    const granted = slack.oauth.tokensOf(TEAM)[1];
    expect(refreshed?.bot?.token).toBe(granted);
    // Redis still away: the new token goes on serving this process, nothing is asked again.
    await sleep(6000);
    expect((await store.fresh({ teamId: TEAM }))?.bot?.token).toBe(granted);
    proxy.thaw();

    // Written as soon as Redis takes it; the spent refresh token is never sent again.
    await waitForStoredToken(granted);
    expect((await store.fresh({ teamId: TEAM }))?.bot?.token).toBe(granted);
    expect(await works(granted)).toBe(true);
    expect(slack.oauth.refreshes).toBe(1);
    expect(slack.oauth.refusedRefreshes).toBe(0);
    await expectStoredPairWorks(granted);
    expect(logs.join('\n')).not.toContain(granted);
  });

  it('lets another replica use the token it has while one keeps new tokens Redis has not taken, then read them', async () => {
    const slackRefresh = slackTokenRefresher(OAUTH_CREDENTIALS, slack.apiUrl, logger);
    // Replica A loses Redis right after Slack's grant; replica B still reaches it.
    const a = installations(
      proxied,
      async (refreshToken) => {
        const grant = await slackRefresh(refreshToken);
        proxy.freeze();
        return grant;
      },
      1800,
    );
    const b = installations(redis.client, slackRefresh, 1800);
    await installRotating(a, 600);
    const [original] = slack.oauth.tokensOf(TEAM);

    const granted = (await a.fresh({ teamId: TEAM }))?.bot?.token;
    expect(granted).toBe(slack.oauth.tokensOf(TEAM)[1]);
    // A holds the refresh lock: B uses the token it has, still valid, and asks Slack nothing.
    expect((await b.fresh({ teamId: TEAM }))?.bot?.token).toBe(original);
    proxy.thaw();

    await waitForStoredToken(granted);
    expect((await b.fresh({ teamId: TEAM }))?.bot?.token).toBe(granted);
    expect(slack.oauth.refreshes).toBe(1);
    expect(slack.oauth.refusedRefreshes).toBe(0);
  });

  it('is written before the key rotation re-seals the installation: the rotation waits for the refresh', async () => {
    await installRotating(installations(redis.client, () => Promise.reject(new Error('unused'))));
    // Step 1 of a rotation: the replicas run with a new key, the old one as the previous key.
    const rotating = Keyring.fromKeys(randomBytes(32).toString('base64'), key64);
    const slackRefresh = slackTokenRefresher(OAUTH_CREDENTIALS, slack.apiUrl, logger);
    let rotation: Promise<unknown> | undefined;
    const store = installations(
      redis.client,
      async (refreshToken) => {
        const grant = await slackRefresh(refreshToken);
        // The rotation starts while the refresh holds the installation's lock.
        rotation = rotateSecrets(redis.client, rotating);
        await Promise.race([rotation, new Promise((resolve) => setTimeout(resolve, 300))]);
        return grant;
      },
      7200,
      rotating,
    );

    const refreshed = await store.fresh({ teamId: TEAM });
    await rotation;

    // Written at the first attempt: nothing changed the value under the refresh.
    const written = logs.map((line) => JSON.parse(line) as { msg?: string; attempt?: number });
    expect(written.filter((line) => line.msg === 'refreshed the bot token')).toEqual([
      expect.objectContaining({ attempt: 0 }),
    ]);
    const raw = (await redis.client.get(installationKey(TEAM))) ?? '';
    expect(sealedKeyId(raw)).toBe(rotating.currentKeyId);
    const reader = installations(redis.client, slackRefresh, 0, rotating);
    expect((await reader.fresh({ teamId: TEAM }))?.bot?.token).toBe(refreshed?.bot?.token);
  });
});
