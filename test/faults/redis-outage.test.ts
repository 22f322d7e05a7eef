import type { Redis } from 'ioredis';
import { createRedisClient, createRedisStores, waitForRedis } from '../../src/store';
import { destinationKey } from '../../src/store/keys';
import { startRedisProxy, testRedis, type RedisProxy, type TestRedis } from '../support/redis';
import { startFaultServer, type FaultServer } from '../support/s3-fault-server';
import { localVerifier } from '../support/s3-local';
import {
  DEFAULT_ACTOR,
  interactionBody,
  setupStateValues,
  setupSubmissionPayload,
} from '../support/slack-payloads';
import { startTestApp, type TestApp } from '../support/test-app';
import {
  VALID_SETTINGS,
  clickCheckAndSave,
  commandBody,
  submitSetup,
  waitForCallWhere,
  waitForPostTo,
  waitUntil,
  watchProcessFailures,
} from './flow';
import { visibleText } from '../support/message-text';

const STORAGE_DOWN = "The bot's storage is not answering right now";
// The first connection, or the same bucket connected again by a later session of this file.
const CONNECTED = new RegExp(
  `(connected|set up) \`${VALID_SETTINGS.bucket.replace(/[.]/g, '\\.')}\``,
);

describe('Redis going away and coming back', () => {
  let direct: TestRedis;
  let proxy: RedisProxy;
  let appRedis: Redis;
  let s3: FaultServer;
  let closeS3Clients: () => void;
  let t: TestApp;
  let watcher: ReturnType<typeof watchProcessFailures>;
  let replies = 0;

  beforeAll(async () => {
    watcher = watchProcessFailures();
    s3 = await startFaultServer();
  });
  beforeEach(async () => {
    direct = await testRedis();
    proxy = await startRedisProxy();
    // The app's own client, as deps.ts builds it, but through the proxy and under the test prefix.
    appRedis = createRedisClient(proxy.url, { keyPrefix: direct.prefix });
    await waitForRedis(appRedis, 5000);
    const { verifier, clients } = localVerifier(s3.endpoint, 2000);
    closeS3Clients = () => clients.destroy();
    t = await startTestApp({ stores: createRedisStores(appRedis, 3600), verifier });
  });
  afterEach(async () => {
    await t.stop();
    closeS3Clients();
    appRedis.disconnect();
    await proxy.close();
    await direct.cleanup();
    expect(watcher.failures).toEqual([]);
  });
  afterAll(async () => {
    await s3.stop();
    watcher.stop();
  });

  const healthz = async () => {
    const response = await fetch(new URL('/healthz', t.url));
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const healthStatusBecomes = (status: number) =>
    waitUntil(async () => (await healthz()).status === status, `/healthz to answer ${status}`);

  /** A signed slash command with its own response_url and trigger_id. */
  async function command(text: string) {
    const responseUrl = t.slack.responseUrl(`redis-${++replies}`);
    const triggerId = `trigger-redis-${replies}`;
    const response = await t.post(commandBody(text, responseUrl, triggerId));
    return { response, responseUrl, triggerId };
  }
  const nextResponseUrl = () => t.slack.responseUrl(`redis-${++replies}`);

  /** What a user sees while storage is away, for every surface that needs it. */
  async function expectClearAnswersWhileDown(sessionId: string) {
    const submission = setupSubmissionPayload(
      DEFAULT_ACTOR,
      setupStateValues(VALID_SETTINGS),
      JSON.stringify({ channelId: DEFAULT_ACTOR.channelId, responseUrl: nextResponseUrl() }),
    );
    const submitted = await t.post(interactionBody(submission));
    expect(submitted.status).toBe(200);
    const modal = (await submitted.json()) as { response_action: string; view: unknown };
    expect(modal.response_action).toBe('push');
    expect(visibleText(modal.view)).toContain('your setup was not saved');
    expect(visibleText(modal.view)).toContain('your input is still there');

    const clickUrl = nextResponseUrl();
    const click = await clickCheckAndSave(t, sessionId, clickUrl);
    expect(click.status).toBe(200);
    const clickReply = visibleText((await waitForPostTo(t.slack, clickUrl)).body);
    expect(clickReply).toContain(STORAGE_DOWN);
    expect(clickReply).toContain('Your setup is kept.');

    for (const text of [
      'list',
      `verify ${VALID_SETTINGS.bucket}`,
      `remove ${VALID_SETTINGS.bucket}`,
    ]) {
      const { response, responseUrl } = await command(text);
      expect(response.status).toBe(200);
      await response.text();
      await waitUntil(
        () =>
          t.slack
            .callsTo('response_url')
            .some(
              (call) =>
                call.body.url === new URL(responseUrl).pathname &&
                visibleText(call.body).includes(STORAGE_DOWN),
            ),
        `a storage notice for ${text}`,
      );
    }

    const help = await command('help');
    expect(help.response.status).toBe(200);
    expect(visibleText(await help.response.json())).toContain('/s3-destination setup');
  }

  /** Check and Save on `sessionId` connects the bucket, and the destination is in Redis. */
  async function expectConnected(sessionId: string) {
    const before = t.slack.callsTo('chat.postMessage').length;
    const click = await clickCheckAndSave(t, sessionId, nextResponseUrl());
    expect(click.status).toBe(200);
    const result = await t.slack.waitForCall('chat.postMessage', before + 1);
    expect(visibleText(result.body)).toMatch(CONNECTED);
    expect(
      await direct.client.exists(destinationKey(DEFAULT_ACTOR.teamId, VALID_SETTINGS.bucket)),
    ).toBe(1);
  }

  it('answers clearly while Redis is stopped, and recovers by itself once it is back', async () => {
    const before = await submitSetup(t, t.slack, { responseUrl: nextResponseUrl() });
    expect(await healthz()).toEqual({ status: 200, body: { redis: 'ok' } });

    await proxy.stop();
    await healthStatusBecomes(503);
    expect((await healthz()).body).toEqual({ redis: 'down' });
    await expectClearAnswersWhileDown(before.sessionId);

    await proxy.start();
    await healthStatusBecomes(200);
    // The setup started before the outage is intact, and a new one runs end to end.
    await expectConnected(before.sessionId);
    const opened = await command('setup');
    expect(opened.response.status).toBe(200);
    await waitForCallWhere(t.slack, 'views.open', (body) => body.trigger_id === opened.triggerId);
    const after = await submitSetup(t, t.slack, { responseUrl: nextResponseUrl() });
    await expectConnected(after.sessionId);
    const listed = await command('list');
    const list = await waitForPostTo(t.slack, listed.responseUrl);
    expect(visibleText(list.body)).toContain(VALID_SETTINGS.bucket);
  });

  it('answers clearly while Redis hangs without answering, and recovers once it answers', async () => {
    const before = await submitSetup(t, t.slack, { responseUrl: nextResponseUrl() });

    proxy.freeze();
    await healthStatusBecomes(503);
    await expectClearAnswersWhileDown(before.sessionId);

    proxy.thaw();
    await healthStatusBecomes(200);
    await expectConnected(before.sessionId);
  });
});
