import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedisClient, installationKey, waitForRedis } from '../../src/store';
import { freePort } from '../support/redis-topologies';
import { spawnBot, type BotProcess } from '../support/bot-process';
import { REDIS_URL } from '../support/redis';
import { DEFAULT_ACTOR, slashCommandBody } from '../support/slack-payloads';
import { slackSignatureHeaders } from '../support/slack-signer';
import { startSocketModeStandIn, type SocketModeStandIn } from '../support/slack-socket-stand-in';
import {
  STAND_IN_CLIENT_ID,
  STAND_IN_CLIENT_SECRET,
  startSlackStandIn,
  type SlackStandIn,
} from '../support/slack-stand-in';
import { assumedRoleSession, startStsStandIn, type StsStandIn } from '../support/sts-stand-in';
import { PRINCIPAL_ARN, SIGNING_SECRET } from '../support/test-app';

// A database of its own: the encryption key's check value must not reach the other process tests.
const DATABASE = 12;
const OAUTH_REDIS_URL = `${REDIS_URL.replace(/\/\d*$/, '')}/${DATABASE}`;
const ENCRYPTION_KEY = randomBytes(32).toString('base64');
const STATE_SECRET = 'process-state-secret-0123456789';

let slack: SlackStandIn;
let sts: StsStandIn;
let redis: Redis;

beforeAll(async () => {
  redis = createRedisClient(OAUTH_REDIS_URL);
  await waitForRedis(redis, 5000);
  await redis.flushdb();
  slack = await startSlackStandIn();
  sts = await startStsStandIn(assumedRoleSession(PRINCIPAL_ARN));
});

afterAll(async () => {
  await redis.flushdb();
  await redis.quit();
  await sts.close();
  await slack.close();
});

function oauthEnvironment(port: number): Record<string, string> {
  return {
    SLACK_CLIENT_ID: STAND_IN_CLIENT_ID,
    SLACK_CLIENT_SECRET: STAND_IN_CLIENT_SECRET,
    SLACK_STATE_SECRET: STATE_SECRET,
    STORE_ENCRYPTION_KEY: ENCRYPTION_KEY,
    SLACK_API_URL: slack.apiUrl,
    POLICY_PRINCIPAL_ARN: PRINCIPAL_ARN,
    STS_ENDPOINT: sts.endpoint,
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    MONITOR_INTERVAL_SECONDS: '0',
    REDIS_URL: OAUTH_REDIS_URL,
    PORT: String(port),
  };
}

/** The install flow against a running bot, as a browser and Slack would go through it. */
async function installThrough(
  base: string,
  teamId: string,
  finishAt: string = base,
): Promise<Response> {
  const started = await fetch(`${base}/slack/install`);
  const page = await started.text();
  const href = /href="([^"]+)"/.exec(page)?.[1]?.replace(/&amp;/g, '&') ?? '';
  const state = new URL(href).searchParams.get('state') ?? '';
  const cookie = (started.headers.get('set-cookie') ?? '').split(';')[0];
  const code = slack.oauth.issueCode({ teamId, teamName: `Team ${teamId}` });
  const query = `code=${code}&state=${encodeURIComponent(state)}`;
  return fetch(`${finishAt}/slack/oauth_redirect?${query}`, { headers: { cookie } });
}

async function stopBot(bot: BotProcess | undefined) {
  if (bot && bot.child.exitCode === null) bot.child.kill('SIGTERM');
  await bot?.exited();
}

describe('OAuth mode as a process (npm start)', () => {
  it('runs over HTTP: installs a workspace and answers its commands with its own token', async () => {
    const port = await freePort();
    // At debug level Bolt and the Web API client log what they send: nothing secret may show.
    const bot = spawnBot({
      ...oauthEnvironment(port),
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      LOG_LEVEL: 'debug',
    });
    try {
      await bot.waitForLine(/listening/);
      const base = `http://127.0.0.1:${port}`;
      const installed = await installThrough(base, 'TPROCHTTP');
      expect(installed.status).toBe(200);
      expect(await installed.text()).toContain(
        'is now installed in <strong>Team TPROCHTTP</strong>',
      );
      expect(await redis.get(installationKey('TPROCHTTP'))).toMatch(/^s3dsec:2:/);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      slack.reset();
      const actor = { ...DEFAULT_ACTOR, teamId: 'TPROCHTTP' };
      // A workspace admin, as Slack's users.info says.
      slack.setUser(actor.userId, { isAdmin: true });
      const body = slashCommandBody('setup', actor, slack.responseUrl('http'));
      const answered = await fetch(`${base}/slack/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...slackSignatureHeaders(body, SIGNING_SECRET),
        },
        body,
      });
      expect(answered.status).toBe(200);
      const open = await slack.waitForCall('views.open');
      expect(slack.oauth.teamOf(open.token ?? '')).toBe('TPROCHTTP');
    } finally {
      await stopBot(bot);
    }
    expect(bot.child.exitCode).toBe(0);
    const [token] = slack.oauth.tokensOf('TPROCHTTP');
    const logged = [...bot.stdout, ...bot.stderr].join('\n');
    expect(logged).toContain('"level":20');
    for (const secret of [token, STAND_IN_CLIENT_SECRET, STATE_SECRET, ENCRYPTION_KEY]) {
      expect(logged).not.toContain(secret);
    }
  }, 30_000);

  it('runs in Socket Mode: the install pages on PORT, commands over the socket with the workspace’s token', async () => {
    const port = await freePort();
    let socket: SocketModeStandIn | undefined;
    let bot: BotProcess | undefined;
    try {
      socket = await startSocketModeStandIn(slack);
      bot = spawnBot({
        ...oauthEnvironment(port),
        SLACK_APP_TOKEN: 'xapp-1-A0APP-1-socket-mode-test-token',
      });
      await socket.connected();
      await bot.waitForLine(/connected to Slack in Socket Mode/);
      const installed = await installThrough(`http://127.0.0.1:${port}`, 'TPROCSOCK');
      expect(installed.status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

      slack.reset();
      const actor = { ...DEFAULT_ACTOR, teamId: 'TPROCSOCK' };
      // A workspace admin, as Slack's users.info says.
      slack.setUser(actor.userId, { isAdmin: true });
      const command = Object.fromEntries(
        new URLSearchParams(slashCommandBody('setup', actor, slack.responseUrl('sock'))),
      );
      await socket.deliver('slash_commands', command);
      const open = await slack.waitForCall('views.open');
      expect(slack.oauth.teamOf(open.token ?? '')).toBe('TPROCSOCK');
    } finally {
      await stopBot(bot);
      await socket?.close();
    }
  }, 30_000);

  it('finishes on one process an install begun on another', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const environment = (port: number) => ({
      ...oauthEnvironment(port),
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
    });
    const bots = [spawnBot(environment(portA)), spawnBot(environment(portB))];
    try {
      await Promise.all(bots.map((bot) => bot.waitForLine(/listening/)));
      const installed = await installThrough(
        `http://127.0.0.1:${portA}`,
        'TPROCTWO',
        `http://127.0.0.1:${portB}`,
      );
      expect(installed.status).toBe(200);
      expect(await redis.get(installationKey('TPROCTWO'))).toMatch(/^s3dsec:2:/);
    } finally {
      await Promise.all(bots.map(stopBot));
    }
  }, 30_000);

  it('refuses to start with both a bot token and OAuth credentials, naming the problem', async () => {
    const bot = spawnBot({ ...oauthEnvironment(0), SLACK_BOT_TOKEN: 'xoxb-1-one-workspace' });
    expect(await bot.exited()).toBe(1);
    expect(bot.stderr.join('\n')).toContain('SLACK_BOT_TOKEN must be unset in OAuth mode');
  });
});
