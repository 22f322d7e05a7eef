import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { changeEventSchema, type ChangeEvent } from '../../src/events/types';
import { createRedisClient, createRedisStores, waitForRedis, type Stores } from '../../src/store';
import { botEnvironment, startBotProcess, stopBots, type BotProcess } from '../support/bot-process';
import { REDIS_URL } from '../support/redis';
import {
  DEFAULT_ACTOR,
  blockActionPayload,
  buttonAction,
  interactionBody,
} from '../support/slack-payloads';
import { slackSignatureHeaders } from '../support/slack-signer';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { assumedRoleSession, startStsStandIn, type StsStandIn } from '../support/sts-stand-in';
import { PRINCIPAL_ARN, SIGNING_SECRET } from '../support/test-app';
import { savedDestination } from '../support/fixtures';

const SECRET = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;

describe('two bot processes sharing one outbox', () => {
  // The bots' keys carry no test prefix: a team id of this run alone keeps them apart.
  const teamId = `TWH${Date.now()}`;
  const actor = { ...DEFAULT_ACTOR, teamId };
  const received: ChangeEvent[] = [];
  let receiver: Server;
  let slack: SlackStandIn;
  let sts: StsStandIn;
  let redis: Redis;
  let stores: Stores;
  const bots: BotProcess[] = [];
  const bases: string[] = [];

  beforeAll(async () => {
    redis = createRedisClient(REDIS_URL);
    await waitForRedis(redis, 5000);
    stores = createRedisStores(redis, 3600);
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const headers = Object.fromEntries(
          Object.entries(req.headers).map(([name, value]) => [name, String(value)]),
        );
        try {
          new Webhook(SECRET).verify(body, headers);
        } catch {
          res.writeHead(401).end();
          return;
        }
        const event = changeEventSchema.parse(JSON.parse(body));
        // Other runs' events may share this Redis: only this run's team counts.
        if (event.destination.team_id === teamId) received.push(event);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    slack = await startSlackStandIn();
    sts = await startStsStandIn(assumedRoleSession(PRINCIPAL_ARN));
    for (let i = 0; i < 2; i += 1) {
      const bot = await startBotProcess(
        botEnvironment({
          SLACK_API_URL: slack.apiUrl,
          STS_ENDPOINT: sts.endpoint,
          REDIS_URL,
          LOADER_WEBHOOK_URL: `http://127.0.0.1:${port}/events`,
          LOADER_WEBHOOK_SECRET: SECRET,
        }),
      );
      bots.push(bot);
      bases.push(bot.baseUrl);
    }
  }, 30_000);

  afterAll(async () => {
    await stopBots();
    await sts?.close();
    await slack?.close();
    await new Promise((resolve) => receiver?.close(resolve));
    await redis?.quit();
  });

  const removeThrough = (base: string, bucket: string) => {
    const body = interactionBody(
      blockActionPayload(actor, buttonAction('confirm_remove', JSON.stringify({ bucket })), {
        responseUrl: slack.responseUrl(`remove-${bucket}`),
      }),
    );
    return fetch(`${base}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...slackSignatureHeaders(body, SIGNING_SECRET),
      },
      body,
    });
  };

  it('delivers each change made through either process once, signed', async () => {
    const buckets = ['wh-lake-a', 'wh-lake-b', 'wh-lake-c', 'wh-lake-d'];
    for (const bucket of buckets) {
      await stores.destinations.save({ ...savedDestination(teamId, bucket), version: undefined });
    }
    for (const [index, bucket] of buckets.entries()) {
      expect((await removeThrough(bases[index % 2], bucket)).status).toBe(200);
    }
    const until = Date.now() + 15_000;
    while (received.length < buckets.length && Date.now() < until) await sleep(50);
    // Time for a second delivery, were there to be one.
    await sleep(1500);
    expect(received.map((event) => event.type)).toEqual(buckets.map(() => 'destination.removed'));
    expect(received.map((event) => event.destination.bucket).sort()).toEqual(buckets);
    expect(new Set(received.map((event) => event.id)).size).toBe(buckets.length);
    for (const bucket of buckets) {
      expect(await stores.destinations.get(teamId, bucket)).toBeUndefined();
    }
  }, 30_000);

  it('keeps the webhook secret out of both logs', () => {
    for (const bot of bots) {
      expect([...bot.stdout, ...bot.stderr].join('\n')).not.toContain(
        SECRET.slice('whsec_'.length),
      );
    }
  });
});
