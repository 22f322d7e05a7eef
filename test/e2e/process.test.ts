import { connect } from 'node:net';
import { startFaultServer, type FaultServer } from '../support/s3-fault-server';
import {
  botEnvironment,
  spawnBot,
  startBotProcess,
  stopBots,
  type BotEnvironment,
} from '../support/bot-process';
import {
  DEFAULT_ACTOR,
  blockActionPayload,
  buttonAction,
  interactionBody,
  setupStateValues,
  setupSubmissionPayload,
  slashCommandBody,
} from '../support/slack-payloads';
import { slackSignatureHeaders } from '../support/slack-signer';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { assumedRoleSession, startStsStandIn, type StsStandIn } from '../support/sts-stand-in';
import { BOT_TOKEN, PRINCIPAL_ARN, SIGNING_SECRET } from '../support/test-app';
import { DEFAULT_KEY_TEMPLATE } from '../../src/domain/key-template';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

// The bot proves its AWS identity with STS before it starts: this one says it is the principal.
let sts: StsStandIn;

function baseEnv(slack: SlackStandIn, extra: BotEnvironment = {}): BotEnvironment {
  return botEnvironment({ SLACK_API_URL: slack.apiUrl, STS_ENDPOINT: sts.endpoint, ...extra });
}

async function signedPost(base: string, body: string): Promise<Response> {
  return fetch(`${base}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...slackSignatureHeaders(body, SIGNING_SECRET),
    },
    body,
  });
}

/** 'connected', or the code of the error a TCP connection to `host`:`port` ended with. */
function connectionTo(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('the bot as a process', () => {
  let slack: SlackStandIn;

  beforeAll(async () => {
    slack = await startSlackStandIn();
    sts = await startStsStandIn(assumedRoleSession(PRINCIPAL_ARN));
  });
  afterEach(async () => {
    await stopBots();
    slack.reset();
  });
  afterAll(async () => {
    await sts.close();
    await slack.close();
  });

  it('exits 1 on bad configuration, naming every problem', async () => {
    const bot = spawnBot({
      PORT: 'eighty',
      REDIS_URL: 'localhost:6379',
      S3_FORCE_PATH_STYLE: 'yes',
    });

    expect(await bot.exited()).toBe(1);
    const message = bot.stderr.join('\n');
    for (const name of [
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'POLICY_PRINCIPAL_ARN',
      'PORT',
      'REDIS_URL',
      'S3_FORCE_PATH_STYLE',
    ]) {
      expect(message).toContain(name);
    }
  });

  it('exits 1 with the reason when Slack refuses the bot token, leaking no token', async () => {
    slack.answer('auth.test', { ok: false, error: 'invalid_auth' });
    const bot = spawnBot(baseEnv(slack));

    expect(await bot.exited()).toBe(1);
    const output = [...bot.stdout, ...bot.stderr].join('\n');
    expect(bot.stderr.join('\n')).toContain('Slack refused SLACK_BOT_TOKEN (invalid_auth)');
    expect(output).not.toContain(BOT_TOKEN);
  });

  it.each([
    ['Redis answers', { REDIS_URL }, 200, { redis: 'ok' }],
    [
      'Redis does not answer',
      { REDIS_URL: 'redis://127.0.0.1:1' },
      503,
      // Nor could the encryption key be checked against it (here: that it holds no sealed secret).
      { redis: 'down', encryptionKey: 'unchecked' },
    ],
    ['no Redis is configured', {}, 200, { redis: 'memory' }],
  ])('answers /healthz when %s', async (_name, extra, status, body) => {
    const bot = await startBotProcess(baseEnv(slack, extra));
    const base = bot.baseUrl;

    const response = await fetch(`${base}/healthz`);

    expect(response.status).toBe(status);
    expect(await response.json()).toEqual(body);
  });

  it('warns once, clearly, when it runs on in-memory stores', async () => {
    const bot = await startBotProcess(baseEnv(slack));

    const warnings = bot.stdout.filter((line) => line.includes('REDIS_URL is not set'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0])).toMatchObject({ level: 40 });
  });

  it('serves its metrics only on METRICS_HOST', async () => {
    const bot = await startBotProcess(
      baseEnv(slack, { METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' }),
    );
    const { metricsPort } = JSON.parse(await bot.waitForLine(/"metricsPort"/)) as {
      metricsPort: number;
    };

    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(200);
    // Another loopback address of the same machine: nothing listens there.
    expect(await connectionTo('127.0.0.2', metricsPort)).toBe('ECONNREFUSED');
  });

  describe('npm run dev:tunnel', () => {
    it('says why the tunnel could not open, and keeps serving on localhost', async () => {
      // No ngrok server is reachable from here, and the token is not a real one either way.
      const bot = await startBotProcess(
        baseEnv(slack, { NGROK_AUTHTOKEN: 'not-a-real-ngrok-token' }),
        { entry: 'tunnel.js' },
      );
      const base = bot.baseUrl;

      const failure = await bot.waitForLine(/the ngrok tunnel could not open/);
      expect(JSON.parse(failure)).toMatchObject({ level: 50, reason: expect.any(String) });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect(bot.stdout.join('\n')).not.toContain('not-a-real-ngrok-token');
    });

    it('serves locally and says how to get a token when NGROK_AUTHTOKEN is unset', async () => {
      const bot = await startBotProcess(baseEnv(slack), { entry: 'tunnel.js' });
      const base = bot.baseUrl;

      await bot.waitForLine(/NGROK_AUTHTOKEN is not set/);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    });

    it('exits 1 without a signing secret, since it runs the bot over HTTP', async () => {
      const bot = spawnBot({ ...baseEnv(slack), SLACK_SIGNING_SECRET: undefined }, 'tunnel.js');

      expect(await bot.exited()).toBe(1);
      expect(bot.stderr.join('\n')).toContain('SLACK_SIGNING_SECRET is required');
    });
  });

  describe('with S3 behind a stand-in', () => {
    let s3: FaultServer;
    beforeAll(async () => {
      s3 = await startFaultServer();
    });
    afterEach(() => s3.reset());
    afterAll(async () => {
      await s3.stop();
    });

    async function setUpToTheButton(
      base: string,
    ): Promise<{ sessionId: string; responseUrl: string }> {
      const command = await signedPost(
        base,
        slashCommandBody('setup', DEFAULT_ACTOR, slack.responseUrl('cmd')),
      );
      expect(command.status).toBe(200);
      const open = await slack.waitForCall('views.open');
      const view = open.body.view as { private_metadata: string };
      const submission = setupSubmissionPayload(
        DEFAULT_ACTOR,
        setupStateValues({
          bucket: 'acme-data-lake',
          region: 'us-east-1',
          format: 'jsonl',
          keyTemplate: DEFAULT_KEY_TEMPLATE,
        }),
        view.private_metadata,
      );
      expect((await signedPost(base, interactionBody(submission))).status).toBe(200);
      const ephemeral = await slack.waitForCall('response_url');
      const button = (
        ephemeral.body.blocks as { elements?: { action_id: string; value: string }[] }[]
      )
        .flatMap((b) => b.elements ?? [])
        .find((e) => e.action_id === 'check_and_save');
      return { sessionId: button!.value, responseUrl: slack.responseUrl('click') };
    }

    it('runs the whole setup flow in memory mode', async () => {
      const bot = await startBotProcess(
        baseEnv(slack, { S3_ENDPOINT: s3.endpoint, S3_FORCE_PATH_STYLE: 'true' }),
      );
      const base = bot.baseUrl;

      const { sessionId, responseUrl } = await setUpToTheButton(base);
      const click = blockActionPayload(DEFAULT_ACTOR, buttonAction('check_and_save', sessionId), {
        responseUrl,
      });
      await signedPost(base, interactionBody(click));

      const result = await slack.waitForCall('chat.postMessage');
      expect(result.body.channel).toBe(DEFAULT_ACTOR.channelId);
      expect(JSON.stringify(result.body.blocks)).toContain('connected `acme-data-lake`');
    });

    it('finishes a running verification on SIGTERM, then exits 0', async () => {
      const bot = await startBotProcess(
        baseEnv(slack, { S3_ENDPOINT: s3.endpoint, S3_FORCE_PATH_STYLE: 'true' }),
      );
      const base = bot.baseUrl;
      const { sessionId, responseUrl } = await setUpToTheButton(base);
      s3.setFault({ op: 'HeadObject', kind: 'slow', delayMs: 1500 });

      const click = blockActionPayload(DEFAULT_ACTOR, buttonAction('check_and_save', sessionId), {
        responseUrl,
      });
      await signedPost(base, interactionBody(click));
      await waitUntil(() => s3.requests.some((r) => r.operation === 'HeadObject'));
      bot.child.kill('SIGTERM');

      expect(await bot.exited()).toBe(0);
      const result = slack.callsTo('chat.postMessage');
      expect(result).toHaveLength(1);
      expect(JSON.stringify(result[0].body.blocks)).toContain('connected `acme-data-lake`');
      expect(bot.stdout.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
    });
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
