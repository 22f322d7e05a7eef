import type { Redis } from 'ioredis';
import { createRedisClient, createRedisStores, waitForRedis, type Stores } from '../../src/store';
import { freePort } from '../support/redis-topologies';
import { botEnvironment, spawnBot, stopBots, type BotProcess } from '../support/bot-process';
import { REDIS_URL } from '../support/redis';
import { startSocketModeStandIn, type SocketModeStandIn } from '../support/slack-socket-stand-in';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { assumedRoleSession, startStsStandIn, type StsStandIn } from '../support/sts-stand-in';
import { PRINCIPAL_ARN } from '../support/test-app';
import { savedDestination } from '../support/fixtures';

const TOKEN = 'socket-loader-token-0123456789';

describe('the loader API in Socket Mode, as a process', () => {
  let slack: SlackStandIn;
  let socket: SocketModeStandIn;
  let sts: StsStandIn;
  let bot: BotProcess;
  let stores: Stores;
  let unprefixed: Redis;
  let port: number;
  // The bot's own keys carry no test prefix: a team id of this run alone keeps them apart.
  const teamId = `TSOCK${Date.now()}`;

  beforeAll(async () => {
    // A client without the test prefix, as the bot sees Redis.
    unprefixed = createRedisClient(REDIS_URL);
    await waitForRedis(unprefixed, 5000);
    stores = createRedisStores(unprefixed, 3600);
    await stores.destinations.save(savedDestination(teamId, 'socket-mode-lake'));
    slack = await startSlackStandIn();
    socket = await startSocketModeStandIn(slack);
    sts = await startStsStandIn(assumedRoleSession(PRINCIPAL_ARN));
    port = await freePort();
    bot = spawnBot(
      botEnvironment({
        SLACK_APP_TOKEN: 'xapp-1-A0APP-1-socket-mode-test-token',
        SLACK_SIGNING_SECRET: undefined,
        SLACK_API_URL: slack.apiUrl,
        STS_ENDPOINT: sts.endpoint,
        REDIS_URL,
        PORT: String(port),
        LOADER_API_TOKENS: `other-token,${TOKEN}`,
      }),
    );
    await socket.connected();
    await bot.waitForLine(/connected to Slack in Socket Mode/);
  }, 30_000);

  afterAll(async () => {
    await stopBots();
    await socket?.close();
    await sts?.close();
    await slack?.close();
    await stores?.destinations.remove(teamId, 'socket-mode-lake');
    await unprefixed?.quit();
  });

  it('serves the destinations on PORT, with the bearer token', async () => {
    const url = `http://127.0.0.1:${port}/api/v1/destinations/${teamId}/socket-mode-lake`;
    expect((await fetch(url)).status).toBe(401);
    const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ team_id: teamId, bucket: 'socket-mode-lake' });
    const document = await fetch(`http://127.0.0.1:${port}/api/v1/openapi.json`);
    expect(((await document.json()) as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('keeps the token out of its log', () => {
    expect([...bot.stdout, ...bot.stderr].join('\n')).not.toContain(TOKEN);
  });
});
