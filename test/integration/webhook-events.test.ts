import { setTimeout as sleep } from 'node:timers/promises';
import { startDelivery, type Delivery, type DeliveryOptions } from '../../src/events/delivery';
import { OUTBOX_GROUP, OUTBOX_KEYS, RedisOutbox } from '../../src/store/outbox';
import { createLogger } from '../../src/log/logger';
import { testRedis, type TestRedis } from '../support/redis';
import { EventSource, WebhookReceiver, webhookSecret } from '../support/webhook-receiver';

const SECRET_A = webhookSecret(1);
const SECRET_B = webhookSecret(2);

const logs: string[] = [];
const logger = createLogger({
  level: 'debug',
  secrets: [SECRET_A, SECRET_B],
  destination: { write: (line: string) => logs.push(line) },
});

let redis: TestRedis;
let outbox: RedisOutbox;
let source: EventSource;
let receiver: WebhookReceiver;
const deliveries: Delivery[] = [];

beforeEach(async () => {
  logs.length = 0;
  redis = await testRedis();
  outbox = new RedisOutbox(redis.client);
  source = new EventSource(outbox);
});

afterEach(async () => {
  await Promise.all(deliveries.splice(0).map((delivery) => delivery.stop()));
  await receiver.stop();
  await redis.cleanup();
});

async function listen(secrets: string[]): Promise<WebhookReceiver> {
  receiver = new WebhookReceiver(secrets);
  await receiver.start();
  return receiver;
}

function deliver(options: Partial<DeliveryOptions> = {}): Delivery {
  const delivery = startDelivery(outbox, {
    url: receiver.url,
    secrets: [SECRET_A],
    logger,
    blockMs: 100,
    ...options,
  });
  deliveries.push(delivery);
  return delivery;
}

/** Resolves once the stream holds nothing: every entry delivered and acknowledged. */
async function outboxEmpty(): Promise<void> {
  const until = Date.now() + 10_000;
  while ((await redis.client.xlen(OUTBOX_KEYS.stream)) > 0) {
    if (Date.now() > until) throw new Error('the outbox did not empty');
    await sleep(10);
  }
}

test('every event reaches the receiver verified by standardwebhooks, in order, then leaves the outbox', async () => {
  await listen([SECRET_A]);
  deliver();
  const sent = [
    await source.change('T1', 'lake', 'destination.connected'),
    await source.change('T1', 'lake', 'destination.failing'),
    await source.change('T1', 'lake', 'destination.recovered'),
    await source.change('T1', 'lake', 'destination.updated'),
    await source.change('T1', 'lake', 'destination.removed'),
  ];

  const received = await receiver.waitFor(5);
  expect(received).toEqual(sent);
  expect(received.map((event) => event.sequence)).toEqual([1, 2, 3, 4, 5]);
  expect(receiver.received[0].headers['webhook-id']).toBe(sent[0].id);
  expect(receiver.rejected).toEqual([]);
  expect(JSON.stringify(received)).not.toContain('challenge-file');
  // The receiver has the last event before its answer reaches the delivery, which then acknowledges.
  await outboxEmpty();
  expect(await redis.client.xpending(OUTBOX_KEYS.stream, OUTBOX_GROUP)).toEqual([
    0,
    null,
    null,
    null,
  ]);
});

test.each([
  ['the old secret', SECRET_A],
  ['the new secret', SECRET_B],
])('signed with two secrets, every delivery verifies with %s alone', async (_name, secret) => {
  await listen([secret]);
  deliver({ secrets: [SECRET_A, SECRET_B] });
  await source.change('T1', 'lake', 'destination.connected');
  await source.change('T1', 'other', 'destination.connected');
  await receiver.waitFor(2);
  expect(receiver.rejected).toEqual([]);
  expect(receiver.received[0].headers['webhook-signature'].split(' ')).toHaveLength(2);
});

test('events appended out of order, or twice, are sent once each in sequence order', async () => {
  await listen([SECRET_A]);
  const first = source.event('T2', 'lake', 'destination.connected');
  const second = source.event('T2', 'lake', 'destination.failing');
  const third = source.event('T2', 'lake', 'destination.recovered');
  // Two relays after a crash: the same events again, the later ones first.
  for (const event of [second, first, second, third, first]) await source.append(event);
  deliver();
  await receiver.waitFor(3);
  await outboxEmpty();
  expect(receiver.attempts.map((event) => event.sequence)).toEqual([1, 2, 3]);
});

test('two replicas share the outbox: each event delivered once, in order per destination', async () => {
  await listen([SECRET_A]);
  deliver({ consumer: 'replica-a' });
  deliver({ consumer: 'replica-b' });
  const buckets = ['b0', 'b1', 'b2', 'b3', 'b4'];
  await Promise.all(
    buckets.map(async (bucket) => {
      await source.change('T3', bucket, 'destination.connected');
      for (let i = 1; i <= 20; i += 1) {
        await source.change('T3', bucket, i % 2 ? 'destination.failing' : 'destination.recovered');
      }
    }),
  );
  const received = await receiver.waitFor(105, 30_000);
  await outboxEmpty();
  expect(receiver.attempts).toHaveLength(105);
  for (const bucket of buckets) {
    const got = received.filter((event) => event.destination.bucket === bucket);
    expect(got.map((event) => event.sequence)).toEqual(got.map((_event, index) => index + 1));
  }
}, 40_000);

test('a malformed entry becomes a dead letter and holds up nothing', async () => {
  await listen([SECRET_A]);
  await redis.client.xadd(OUTBOX_KEYS.stream, '*', 'team', 'T4', 'bucket', 'lake', 'seq', '1');
  deliver();
  await source.change('T4', 'lake', 'destination.connected');
  await receiver.waitFor(1);
  await outboxEmpty();
  const dead = await redis.client.xrange(OUTBOX_KEYS.dead, '-', '+');
  expect(dead).toHaveLength(1);
  expect(dead[0][1]).toEqual(
    expect.arrayContaining(['reason', expect.stringMatching(/malformed/)]),
  );
});

test('the webhook secrets never reach the log', async () => {
  await listen([SECRET_A]);
  receiver.answer = () => 500;
  deliver({ secrets: [SECRET_A, SECRET_B], backoffBaseMs: 20 });
  await source.change('T5', 'lake', 'destination.connected');
  await receiver.until(() => receiver.attempts.length >= 2, 'two attempts');
  expect(logs.join('\n')).toContain('HTTP 500');
  expect(logs.join('\n')).not.toContain(SECRET_A.slice(6));
  expect(logs.join('\n')).not.toContain(SECRET_B.slice(6));
});
