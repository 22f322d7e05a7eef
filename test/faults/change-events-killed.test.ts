import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import type { ApiDestination } from '../../src/api/schemas';
import { OUTBOX_KEYS } from '../../src/store/outbox';
import { changeEventSchema, type ChangeEvent } from '../../src/events/types';
import { botEnvironment, startBotProcess, stopBots, type BotProcess } from '../support/bot-process';
import { loaderView } from '../support/loader-view';
import { freePort, startStandaloneRedis, type RedisTopology } from '../support/redis-topologies';
import { startFaultServer, type FaultServer } from '../support/s3-fault-server';
import {
  DEFAULT_ACTOR,
  blockActionPayload,
  buttonAction,
  interactionBody,
  type Actor,
} from '../support/slack-payloads';
import { slackSignatureHeaders } from '../support/slack-signer';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { SIGNING_SECRET } from '../support/test-app';
import {
  VALID_SETTINGS,
  clickCheckAndSave,
  commandBody,
  submitSetup,
  waitForCallWhere,
  type SignedSender,
} from './flow';

// The bot as a process makes a stream of changes (Check and Save, verify failing and recovering,
// the monitor's recoveries, remove, connect again) while it is SIGKILLed at random moments and
// Redis pauses its writes mid-change. Once delivery is idle, the events received (deduplicated by
// id, highest sequence wins) must rebuild exactly what GET /api/v1/destinations says.

const BUCKETS = ['events-lake-a', 'events-lake-b', 'events-lake-c'];
const ROUNDS = 8;
const API_TOKEN = 'loader-api-token-0123456789abcdef';
const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;

/** The loader's webhook: verifies every request, keeps every event it is sent, once per id. */
function startReceiver(teamId: string) {
  const events = new Map<string, ChangeEvent>();
  const rejected: string[] = [];
  const webhook = new Webhook(WEBHOOK_SECRET);
  let lastArrival = Date.now();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      lastArrival = Date.now();
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        webhook.verify(body, req.headers as Record<string, string>);
      } catch (error) {
        rejected.push(String(error));
        res.writeHead(401).end();
        return;
      }
      const event = changeEventSchema.parse(JSON.parse(body));
      if (event.destination.team_id === teamId) events.set(event.id, event);
      res.writeHead(204).end();
    });
  });
  return {
    events,
    rejected,
    quietFor: () => Date.now() - lastArrival,
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What a loader holds after applying `events`: per bucket, the one with the highest sequence. */
function rebuild(events: Iterable<ChangeEvent>): Map<string, ApiDestination> {
  const latest = new Map<string, ChangeEvent>();
  for (const event of events) {
    const held = latest.get(event.destination.bucket);
    if (!held || event.sequence > held.sequence) latest.set(event.destination.bucket, event);
  }
  const destinations = new Map<string, ApiDestination>();
  for (const [bucket, event] of latest) {
    if (event.type !== 'destination.removed') destinations.set(bucket, event.destination);
  }
  return destinations;
}

describe('change events while the bot is killed and Redis pauses', () => {
  const actor: Actor = { ...DEFAULT_ACTOR, teamId: `TEV${randomBytes(4).toString('hex')}` };
  const receiver = startReceiver(actor.teamId);
  let redis: RedisTopology;
  let admin: Redis;
  let slack: SlackStandIn;
  let s3: FaultServer;
  let port: number;
  let webhookUrl: string;
  let bot: BotProcess | undefined;

  beforeAll(async () => {
    [redis, slack, s3, port, webhookUrl] = await Promise.all([
      startStandaloneRedis(),
      startSlackStandIn(),
      startFaultServer({ bucketRegion: 'us-east-1' }),
      freePort(),
      receiver.listen(),
    ]);
    admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  }, 30_000);

  afterAll(async () => {
    await stopBots();
    admin?.disconnect();
    await Promise.all([redis?.stop(), slack?.close(), s3?.stop(), receiver.close()]);
  });

  async function startBot(): Promise<void> {
    bot = await startBotProcess(
      botEnvironment({
        SLACK_API_URL: slack.apiUrl,
        PORT: String(port),
        MONITOR_INTERVAL_SECONDS: '2',
        REDIS_URL: redis.url,
        S3_ENDPOINT: s3.endpoint,
        S3_FORCE_PATH_STYLE: 'true',
        S3_TIMEOUT_MS: '1000',
        LOADER_API_TOKENS: API_TOKEN,
        LOADER_WEBHOOK_URL: webhookUrl,
        LOADER_WEBHOOK_SECRET: WEBHOOK_SECRET,
      }),
      { timeoutMs: 20_000 },
    );
  }

  const sender: SignedSender = {
    post: (body, contentType = 'application/x-www-form-urlencoded') =>
      fetch(`http://127.0.0.1:${port}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': contentType, ...slackSignatureHeaders(body, SIGNING_SECRET) },
        body,
        signal: AbortSignal.timeout(5000),
      }),
  };

  /** Setup and Check and Save, as the user does them; the challenge file is uploaded between. */
  async function connect(bucket: string): Promise<void> {
    const trigger = `trigger-${randomUUID()}`;
    const commandUrl = slack.responseUrl(`setup-${randomUUID()}`);
    await sender.post(commandBody('setup', commandUrl, trigger, actor));
    const open = await waitForCallWhere(slack, 'views.open', (b) => b.trigger_id === trigger);
    const { private_metadata: privateMetadata } = open.body.view as { private_metadata: string };
    const { sessionId, challengeKey } = await submitSetup(sender, slack, {
      responseUrl: commandUrl,
      actor,
      privateMetadata,
      settings: { ...VALID_SETTINGS, bucket },
    });
    s3.addObject(challengeKey);
    await clickCheckAndSave(sender, sessionId, slack.responseUrl(`click-${randomUUID()}`), actor);
  }

  const verify = (bucket: string) =>
    sender.post(commandBody(`verify ${bucket}`, slack.responseUrl(randomUUID()), 'none', actor));

  const remove = (bucket: string) =>
    sender.post(
      interactionBody(
        blockActionPayload(actor, buttonAction('confirm_remove', JSON.stringify({ bucket })), {
          responseUrl: slack.responseUrl(randomUUID()),
        }),
      ),
    );

  /** Breaks or mends every challenge file: HeadObject answers 404, or the object. */
  const setHealthy = (healthy: boolean) =>
    s3.setFault({ op: 'HeadObject', kind: healthy ? 'ok' : 'NotFound' });

  const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)];

  /** One change of a random bucket; what a killed bot never answers is not an error here. */
  async function someChange(): Promise<void> {
    await sleep(Math.random() * 300);
    const bucket = pick(BUCKETS);
    const action = pick(['connect', 'connect', 'verify', 'verify', 'remove', 'break', 'mend']);
    try {
      if (action === 'connect') await connect(bucket);
      else if (action === 'verify') await verify(bucket);
      else if (action === 'remove') await remove(bucket);
      else setHealthy(action === 'mend');
    } catch {
      // The bot was killed under it, or a wait gave up: the next round goes on.
    }
  }

  /** Every destination the API lists for this team, page by page. */
  async function listed(): Promise<Map<string, ApiDestination>> {
    const destinations = new Map<string, ApiDestination>();
    let cursor: string | null = null;
    do {
      const url = new URL(`http://127.0.0.1:${port}/api/v1/destinations`);
      url.searchParams.set('limit', '100');
      if (cursor) url.searchParams.set('cursor', cursor);
      const response = await fetch(url, { headers: { authorization: `Bearer ${API_TOKEN}` } });
      expect(response.status).toBe(200);
      const page = (await response.json()) as {
        destinations: ApiDestination[];
        next_cursor: string | null;
      };
      for (const destination of page.destinations) {
        if (destination.team_id === actor.teamId) {
          destinations.set(destination.bucket, destination);
        }
      }
      cursor = page.next_cursor;
    } while (cursor);
    return destinations;
  }

  /** Until nothing is left to relay or deliver and the receiver has been quiet for a while. */
  async function deliveryIdle(): Promise<void> {
    const until = Date.now() + 60_000;
    for (;;) {
      const outboxes = await admin.keys('s3d:{*}:outbox');
      const waiting = await admin.xlen(OUTBOX_KEYS.stream);
      if (outboxes.length === 0 && waiting === 0 && receiver.quietFor() > 3000) return;
      if (Date.now() > until) throw new Error(`delivery not idle: ${waiting} waiting`);
      await sleep(200);
    }
  }

  it('rebuilds exactly what the API says from the events received', async () => {
    await startBot();
    for (const bucket of BUCKETS) await connect(bucket);
    for (let round = 0; round < ROUNDS; round += 1) {
      if (!bot) await startBot();
      const changes = Array.from({ length: 5 }, () => someChange());
      if (round % 3 === 2) {
        // Writes stop mid-change for longer than a command may take: the bot gives up on
        // scripts that Redis then runs once the pause is over.
        await sleep(Math.random() * 400);
        await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
        await Promise.all(changes);
      } else {
        await sleep(100 + Math.random() * 600);
        bot?.child.kill('SIGKILL');
        await bot?.exited();
        bot = undefined;
        await Promise.all(changes);
      }
    }
    setHealthy(true);
    if (!bot) await startBot();
    // Every check the monitor records from now on passes: failing destinations recover.
    await sleep(5000);
    await deliveryIdle();

    const held = rebuild(receiver.events.values());
    const api = await listed();
    expect(receiver.rejected).toEqual([]);
    expect(receiver.events.size).toBeGreaterThan(BUCKETS.length);
    expect([...held.keys()].sort()).toEqual([...api.keys()].sort());
    for (const [bucket, destination] of api) {
      expect(loaderView(held.get(bucket))).toEqual(loaderView(destination));
    }
    for (const bucket of BUCKETS) {
      const sequences = [...receiver.events.values()]
        .filter((event) => event.destination.bucket === bucket)
        .map((event) => event.sequence)
        .sort((a, b) => a - b);
      expect(sequences).toEqual(sequences.map((_, i) => i + 1));
    }
  }, 240_000);
});
