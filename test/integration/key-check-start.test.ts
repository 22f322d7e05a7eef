import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '@slack/bolt';
import { createApp } from '../../src/app';
import { parseConfig } from '../../src/config';
import { buildDeps, type OwnedDeps } from '../../src/deps';
import { createLogger } from '../../src/log/logger';
import { createRedisClient, waitForRedis } from '../../src/store';
import { Keyring } from '../../src/store/secrets';
import { ENCRYPTION_CHECK_KEY, markSealedWith } from '../../src/store/secrets-check';
import { REDIS_URL, startRedisProxy, type RedisProxy } from '../support/redis';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { BOT_TOKEN, PRINCIPAL_ARN, SIGNING_SECRET } from '../support/test-app';
import { savedDestination } from '../support/fixtures';

// The canary is one key for the whole database: a database of this file's own.
const OWN_DB = 11;
const keyA64 = randomBytes(32).toString('base64');
const keyB64 = randomBytes(32).toString('base64');

let slack: SlackStandIn;
let direct: ReturnType<typeof createRedisClient>;
let proxy: RedisProxy;
let deps: OwnedDeps | undefined;
let app: App | undefined;
const logs: string[] = [];

beforeAll(async () => {
  slack = await startSlackStandIn();
  const url = new URL(REDIS_URL);
  url.pathname = `/${OWN_DB}`;
  direct = createRedisClient(url.toString());
  await waitForRedis(direct, 5000);
});
afterAll(async () => {
  await direct.quit();
  await slack.close();
});
beforeEach(async () => {
  await direct.flushdb();
  // Redis holds secrets sealed with key A.
  await markSealedWith(direct, Keyring.fromKeys(keyA64));
  proxy = await startRedisProxy();
  logs.length = 0;
});
afterEach(async () => {
  proxy.thaw();
  await app?.stop();
  await deps?.close();
  await proxy.close();
  await direct.flushdb();
  app = undefined;
  deps = undefined;
});

/** The bot's deps and app over a Redis that does not answer yet, with `key`. */
async function startOverFrozenRedis(key: string): Promise<string> {
  proxy.freeze();
  const config = parseConfig({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    POLICY_PRINCIPAL_ARN: PRINCIPAL_ARN,
    REDIS_URL: `${proxy.url}/${OWN_DB}`,
    STORE_ENCRYPTION_KEY: key,
  });
  deps = buildDeps(config, {
    identityProven: true,
    logger: createLogger({ level: 'info', destination: { write: (line) => logs.push(line) } }),
    storeCheckWaitMs: 100,
    storeCheckRetryMs: 50,
  });
  // Start-up does not wait for Redis for ever: it serves, the check goes on.
  await deps.checkStoredKey();
  app = createApp(deps, {
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    apiUrl: slack.apiUrl,
    botId: 'BBOT',
    botUserId: 'UBOT',
  });
  const server = (await app.start(0)) as Server;
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const until = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what} did not happen`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('the encryption key check at start with a slow Redis', () => {
  it('checks a wrong key once Redis answers, and never serves with it', async () => {
    const healthz = await startOverFrozenRedis(keyB64);
    expect((await fetch(healthz)).status).toBe(503);

    proxy.thaw();
    await waitFor('the refusal', () =>
      logs.some((line) => line.includes('does not open the secrets stored in Redis')),
    );
    await waitFor('Redis answering', async () => (await deps!.stores.health.ping()) === true);
    const health = await fetch(healthz);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ redis: 'ok', encryptionKey: 'unchecked' });
    await expect(
      deps!.stores.destinations.save(savedDestination('T1', 'bucket-one')),
    ).rejects.toThrow(/has not been checked/);
    expect(await direct.keys('*')).toEqual([ENCRYPTION_CHECK_KEY]);
  });

  it('serves with the right key once Redis answers and the check has passed', async () => {
    const healthz = await startOverFrozenRedis(keyA64);
    await expect(
      deps!.stores.destinations.save(savedDestination('T1', 'bucket-one')),
    ).rejects.toThrow(/has not been checked/);

    proxy.thaw();
    await waitFor('/healthz answering 200', async () => (await fetch(healthz)).status === 200);
    await expect(
      deps!.stores.destinations.save(savedDestination('T1', 'bucket-one')),
    ).resolves.toMatchObject({ status: 'saved' });
  });
});
