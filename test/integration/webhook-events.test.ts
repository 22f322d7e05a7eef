import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDelivery, type Delivery, type DeliveryOptions } from '../../src/events/delivery';
import { OUTBOX_GROUP, OUTBOX_KEYS, RedisOutbox } from '../../src/events/outbox';
import { verifyEventSignature } from '../../src/events/signature';
import { changeEventSchema, type ChangeEvent } from '../../src/events/types';
import { createLogger } from '../../src/log/logger';
import { recordCheck, removeDestination, saveDestination } from '../../src/destinations/changes';
import { EventRelay } from '../../src/events/relay';
import { createRedisStores, teamOutboxKey, type Stores } from '../../src/store';
import { testRedis, type TestRedis } from '../support/redis';
import { savedDestination } from '../unit/store/fixtures';

const SECRET = 'webhook-secret-0123456789';

interface Received {
  readonly event: ChangeEvent;
  readonly at: number;
}

/** A loader's webhook over real HTTP: checks every signature, answers as `answer` says. */
class Receiver {
  readonly received: Received[] = [];
  readonly attempts: number[] = [];
  answer: () => number = () => 200;
  private server?: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const timestamp = String(req.headers['x-s3d-timestamp']);
        const signature = String(req.headers['x-s3d-signature']);
        // Computed here as DESIGN.md states it, not with the bot's own code.
        const expected = `v1=${createHmac('sha256', SECRET).update(`v1:${timestamp}:${body}`).digest('hex')}`;
        this.attempts.push(Date.now());
        if (
          signature !== expected ||
          !verifyEventSignature(SECRET, { timestamp, signature }, body)
        ) {
          res.writeHead(401).end();
          throw new Error(`bad signature on ${body}`);
        }
        const status = this.answer();
        if (status === 200) {
          this.received.push({ event: changeEventSchema.parse(JSON.parse(body)), at: Date.now() });
        }
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/events`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }

  /** Resolves once `count` events arrived. */
  async waitFor(count: number, timeoutMs = 15_000): Promise<Received[]> {
    const until = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > until) {
        throw new Error(`only ${this.received.length} of ${count} events arrived`);
      }
      await sleep(20);
    }
    return this.received;
  }
}

const logs: string[] = [];
const logger = createLogger({
  level: 'debug',
  secrets: [SECRET],
  destination: { write: (line: string) => logs.push(line) },
});

let redis: TestRedis;
let stores: Stores;
let outbox: RedisOutbox;
let relay: EventRelay;
let receiver: Receiver;
const deliveries: Delivery[] = [];

beforeEach(async () => {
  logs.length = 0;
  redis = await testRedis();
  stores = createRedisStores(redis.client, 3600, { events: true });
  outbox = new RedisOutbox(redis.client);
  relay = new EventRelay(redis.client, outbox, logger);
  receiver = new Receiver();
  await receiver.start();
});

afterEach(async () => {
  await Promise.all(deliveries.splice(0).map((delivery) => delivery.stop()));
  await receiver.stop();
  await redis.cleanup();
});

function deliver(options: Partial<DeliveryOptions> = {}): Delivery {
  const delivery = startDelivery(outbox, {
    url: receiver.url,
    secret: SECRET,
    logger,
    pollMs: 20,
    ...options,
  });
  deliveries.push(delivery);
  return delivery;
}

const deps = () => ({ stores, logger, now: () => new Date() });

/**
 * The changes the app makes, each through the change path, whose store appends the event; relayed
 * to the delivery outbox before the helper returns.
 */
const change = {
  connect: async (teamId: string, bucket: string) => {
    const draft = { ...savedDestination(teamId, bucket), version: undefined };
    await saveDestination(deps(), { draft, actor: 'U1' });
    await relay.relay(teamId);
  },
  check: async (teamId: string, bucket: string, ok: boolean, at: string) => {
    const destination = await stores.destinations.get(teamId, bucket);
    if (!destination) throw new Error(`${bucket} is not saved`);
    await recordCheck(deps(), {
      destination,
      record: { lastCheck: { at, ok, summary: ok ? 'All checks passed' : 'Challenge file: 404' } },
    });
    await relay.relay(teamId);
  },
  remove: async (teamId: string, bucket: string) => {
    await removeDestination(deps(), { teamId, bucket, actor: 'U1' });
    await relay.relay(teamId);
  },
};

const stamp = (n: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString();

test('every kind of change reaches the receiver signed, in order, without the challenge name', async () => {
  deliver();
  await change.connect('T1', 'lake');
  await change.check('T1', 'lake', false, stamp(1));
  await change.check('T1', 'lake', false, stamp(2)); // still failing: no event
  await change.check('T1', 'lake', true, stamp(3));
  await change.connect('T1', 'lake');
  await change.remove('T1', 'lake');

  const received = await receiver.waitFor(5);
  expect(received.map((r) => r.event.type)).toEqual([
    'destination.connected',
    'destination.failing',
    'destination.recovered',
    'destination.updated',
    'destination.removed',
  ]);
  expect(received[1].event.destination.last_check).toEqual({
    at: stamp(1),
    ok: false,
    summary: 'Challenge file: 404',
  });
  expect(received[4].event.destination).toMatchObject({ team_id: 'T1', bucket: 'lake' });
  expect(new Set(received.map((r) => r.event.id)).size).toBe(5);
  expect(JSON.stringify(received)).not.toContain('challenge-file');
  // Delivered and acknowledged: nothing left pending, and the stream keeps nothing delivered. The
  // receiver has the last event before its answer reaches the delivery, which then acknowledges.
  const until = Date.now() + 5000;
  while ((await redis.client.xlen(OUTBOX_KEYS.stream)) > 0 && Date.now() < until) await sleep(10);
  expect(await redis.client.xpending(OUTBOX_KEYS.stream, OUTBOX_GROUP)).toEqual([
    0,
    null,
    null,
    null,
  ]);
  expect(await redis.client.xlen(OUTBOX_KEYS.stream)).toBe(0);
});

test('two replicas share the outbox: each event delivered once, in order per destination', async () => {
  deliver({ consumer: 'replica-a' });
  deliver({ consumer: 'replica-b' });
  const buckets = ['b0', 'b1', 'b2', 'b3', 'b4'];
  const expected = new Map<string, string[]>();
  await Promise.all(
    buckets.map(async (bucket) => {
      const types: string[] = [];
      await change.connect('T2', bucket);
      types.push('destination.connected');
      for (let i = 1; i <= 20; i += 1) {
        const ok = i % 2 === 0;
        await change.check('T2', bucket, ok, stamp(i));
        types.push(ok ? 'destination.recovered' : 'destination.failing');
      }
      expected.set(bucket, types);
    }),
  );
  const received = await receiver.waitFor(105, 30_000);
  await sleep(300);
  expect(receiver.received).toHaveLength(105);
  expect(new Set(received.map((r) => r.event.id)).size).toBe(105);
  for (const bucket of buckets) {
    const got = received.filter((r) => r.event.destination.bucket === bucket);
    expect(got.map((r) => r.event.type)).toEqual(expected.get(bucket));
    expect(got.map((r) => r.event.occurred_at)).toEqual(
      [...got.map((r) => r.event.occurred_at)].sort(),
    );
  }
}, 40_000);

/**
 * The delivery's own clock, moved by the test: a retry comes when the clock reaches its time and
 * never before, however long the wall clock runs.
 */
function manualClock() {
  let at = Date.now();
  return {
    now: () => at,
    advance: (ms: number) => {
      at += ms;
    },
  };
}

/** The failures the delivery has recorded (each with its retry time) in this test. */
const failuresRecorded = () =>
  logs.filter((line) => line.includes('webhook: delivery failed')).length;

/**
 * Waits for the receiver's n-th attempt and, when it failed, for the delivery to record its retry
 * time: the receiver has the request before its answer reaches the delivery, and the clock must
 * not move before the delivery reads it.
 */
async function attemptNumber(count: number, failed = true): Promise<void> {
  const until = Date.now() + 10_000;
  while (receiver.attempts.length < count || (failed && failuresRecorded() < count)) {
    if (Date.now() > until) throw new Error(`no attempt #${count}`);
    await sleep(10);
  }
}

/** No attempt beyond `count` comes while the delivery's clock stands still (polled several rounds). */
async function stillAttempts(count: number): Promise<void> {
  await sleep(150);
  expect(receiver.attempts).toHaveLength(count);
}

test('a receiver that answers 500 gets the event again after doubling delays, then the rest in order', async () => {
  const clock = manualClock();
  let failures = 3;
  receiver.answer = () => (failures-- > 0 ? 500 : 200);
  deliver({ backoffBaseMs: 200, now: clock.now });
  await change.connect('T3', 'lake');
  await change.check('T3', 'lake', false, stamp(1));

  await attemptNumber(1);
  for (const [attempt, delayMs] of [
    [2, 200],
    [3, 400],
    [4, 800],
  ]) {
    clock.advance(delayMs - 1);
    await stillAttempts(attempt - 1);
    clock.advance(1);
    // The fourth answer is 200: nothing more to record.
    await attemptNumber(attempt, attempt < 4);
  }
  const received = await receiver.waitFor(2);
  expect(received.map((r) => r.event.type)).toEqual([
    'destination.connected',
    'destination.failing',
  ]);
  expect(logs.some((line) => line.includes('HTTP 500'))).toBe(true);
}, 20_000);

test('the back-off is capped', async () => {
  const clock = manualClock();
  receiver.answer = () => 500;
  deliver({ backoffBaseMs: 50, backoffCapMs: 100, now: clock.now });
  await change.connect('T3', 'capped');

  await attemptNumber(1);
  // Doubling would wait 50, 100, 200, 400 … ms; the cap keeps every wait from the third at 100.
  for (const [attempt, delayMs] of [
    [2, 50],
    [3, 100],
    [4, 100],
    [5, 100],
    [6, 100],
  ]) {
    clock.advance(delayMs - 1);
    await stillAttempts(attempt - 1);
    clock.advance(1);
    await attemptNumber(attempt);
  }
});

test('a crashed replica’s events are claimed by another and delivered in order', async () => {
  await change.connect('T4', 'lake');
  await change.check('T4', 'lake', false, stamp(1));
  await outbox.ensureGroup();
  // This replica read both events, then died before delivering them.
  const taken = await outbox.nextEntries('crashed', 10, 60_000);
  expect(taken).toHaveLength(2);
  deliver({ consumer: 'survivor', claimIdleMs: 300 });
  const received = await receiver.waitFor(2);
  expect(received.map((r) => r.event.type)).toEqual([
    'destination.connected',
    'destination.failing',
  ]);
});

test('a receiver down while the bot restarts loses nothing', async () => {
  await receiver.stop();
  const first = deliver({ consumer: 'before-restart', backoffBaseMs: 100 });
  await change.connect('T5', 'lake');
  await change.remove('T5', 'lake');
  await sleep(300);
  await first.stop();
  expect(receiver.received).toHaveLength(0);
  await receiver.start();
  deliver({ consumer: 'after-restart', claimIdleMs: 200, backoffBaseMs: 100 });
  const received = await receiver.waitFor(2);
  expect(received.map((r) => r.event.type)).toEqual([
    'destination.connected',
    'destination.removed',
  ]);
});

test('an event failing past the give-up time becomes a dead letter, and replaying it delivers it', async () => {
  receiver.answer = () => 500;
  deliver({ backoffBaseMs: 50, giveUpAfterMs: 300 });
  await change.connect('T6', 'lake');
  await change.check('T6', 'lake', false, stamp(1));
  const until = Date.now() + 10_000;
  while ((await redis.client.xlen(OUTBOX_KEYS.dead)) < 2 && Date.now() < until) await sleep(50);
  const dead = await redis.client.xrange(OUTBOX_KEYS.dead, '-', '+');
  expect(dead).toHaveLength(2);
  expect(dead[0][1]).toEqual(expect.arrayContaining(['reason', expect.stringMatching(/HTTP 500/)]));
  expect(await redis.client.xlen(OUTBOX_KEYS.stream)).toBe(0);

  receiver.answer = () => 200;
  expect(await outbox.replayDeadLetters()).toBe(2);
  const received = await receiver.waitFor(2);
  expect(received.map((r) => r.event.type)).toEqual([
    'destination.connected',
    'destination.failing',
  ]);
  expect(await redis.client.xlen(OUTBOX_KEYS.dead)).toBe(0);
});

test('no outbox, no events: the change is made all the same', async () => {
  const plain = createRedisStores(redis.client, 3600);
  const draft = { ...savedDestination('T7', 'lake'), version: undefined };
  const saved = await saveDestination(
    { stores: plain, logger, now: () => new Date() },
    { draft, actor: 'U1' },
  );
  expect(saved).toMatchObject({ status: 'saved', change: { type: 'destination.connected' } });
  expect(await plain.destinations.get('T7', 'lake')).toBeDefined();
  expect(await redis.keys()).not.toContain(teamOutboxKey('T7'));
  expect(await redis.client.exists(OUTBOX_KEYS.stream)).toBe(0);
});
