import { setTimeout as sleep } from 'node:timers/promises';
import { startDelivery, type Delivery, type DeliveryOptions } from '../../src/events/delivery';
import { OUTBOX_KEYS, RedisOutbox } from '../../src/store/outbox';
import { createLogger } from '../../src/log/logger';
import { testRedis, type TestRedis } from '../support/redis';
import { EventSource, WebhookReceiver, webhookSecret } from '../support/webhook-receiver';

const SECRET = webhookSecret(1);

const logs: string[] = [];
const logger = createLogger({
  level: 'debug',
  secrets: [SECRET],
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
  receiver = new WebhookReceiver([SECRET]);
  await receiver.start();
});

afterEach(async () => {
  // The receiver first: a hanging request ends, and the delivery's stop does not wait for it.
  await receiver.stop();
  await Promise.all(deliveries.splice(0).map((delivery) => delivery.stop()));
  await redis.cleanup();
});

function deliver(options: Partial<DeliveryOptions> = {}): Delivery {
  const delivery = startDelivery(outbox, {
    url: receiver.url,
    secrets: [SECRET],
    logger,
    blockMs: 100,
    ...options,
  });
  deliveries.push(delivery);
  return delivery;
}

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
  await receiver.until(
    () => receiver.attempts.length >= count && (!failed || failuresRecorded() >= count),
    `attempt #${count}`,
  );
}

/** No attempt beyond `count` comes while the delivery's clock stands still (several ticks). */
async function stillAttempts(count: number): Promise<void> {
  await sleep(150);
  expect(receiver.attempts).toHaveLength(count);
}

test('a receiver hanging on one destination delays no other destination', async () => {
  receiver.answer = (event) => (event.destination.bucket === 'stuck' ? 'hang' : 200);
  deliver();
  await source.change('T1', 'stuck', 'destination.connected');
  await receiver.until(() => receiver.attempts.length === 1, 'the stuck event sent');
  const others = [
    await source.change('T1', 'lake-a', 'destination.connected'),
    await source.change('T2', 'lake-b', 'destination.connected'),
    await source.change('T1', 'lake-a', 'destination.failing'),
  ];
  // Arrived while the stuck request is still open (it never gets an answer in this test).
  expect(await receiver.waitFor(3)).toEqual(others);
  expect(receiver.attempts.filter((event) => event.destination.bucket === 'stuck')).toHaveLength(1);
});

test('a 410 Gone keeps the event as a dead letter at once, with the reason, and the next one goes', async () => {
  deliver();
  const gone = source.event('T1', 'lake', 'destination.connected');
  receiver.answer = (event) => (event.id === gone.id ? 410 : 200);
  await source.append(gone);
  const next = await source.change('T1', 'lake', 'destination.updated');
  expect(await receiver.waitFor(1)).toEqual([next]);
  expect(receiver.attempts.map((event) => event.id)).toEqual([gone.id, next.id]);
  const dead = await redis.client.xrange(OUTBOX_KEYS.dead, '-', '+');
  expect(dead).toHaveLength(1);
  expect(dead[0][1]).toEqual(
    expect.arrayContaining(['event', JSON.stringify(gone), 'reason', expect.stringMatching(/410/)]),
  );
  expect(await outbox.retryState(dead[0][0])).toBeUndefined();
});

test('a redirect is not followed: the signed body goes to the configured URL only', async () => {
  const clock = manualClock();
  receiver.answer = () => ({ status: 307, location: '/elsewhere' });
  deliver({ now: clock.now });
  await source.change('T1', 'lake', 'destination.connected');
  await attemptNumber(1);
  expect(receiver.elsewhere).toEqual([]);
  expect(logs.some((line) => line.includes('redirect'))).toBe(true);
  // Not a delivery: it is tried again later, at the configured URL.
  receiver.answer = () => 200;
  clock.advance(1000);
  await receiver.waitFor(1);
  expect(receiver.elsewhere).toEqual([]);
});

test('a crashed replica’s in-flight entries are sent by a live one, in order, once it is unseen', async () => {
  const sent = [
    await source.change('T4', 'lake', 'destination.connected'),
    await source.change('T4', 'lake', 'destination.failing'),
  ];
  await outbox.ensureGroup();
  // This replica read both events, then died before delivering them.
  const reader = outbox.openReader(100);
  try {
    await reader.ready(5000);
    expect(await reader.readNew('crashed', 10, 100)).toHaveLength(2);
  } finally {
    reader.close();
  }
  deliver({ consumer: 'survivor', deadAfterMs: 300, claimEveryMs: 50 });
  expect(await receiver.waitFor(2)).toEqual(sent);
});

test('a replica that died mid-POST, its destination still locked, does not hold it up', async () => {
  const sent = await source.change('T4', 'locked', 'destination.connected');
  await outbox.ensureGroup();
  const reader = outbox.openReader(100);
  try {
    await reader.ready(5000);
    expect(await reader.readNew('crashed', 10, 100)).toHaveLength(1);
  } finally {
    reader.close();
  }
  // Its lock would hold for a minute more: longer than this test waits.
  await redis.client.set(OUTBOX_KEYS.lock('T4', 'locked'), 'crashed 1234', 'PX', 60_000);
  deliver({ consumer: 'survivor', deadAfterMs: 300, claimEveryMs: 50 });
  expect(await receiver.waitFor(1)).toEqual([sent]);
});

test('a receiver down while the bot restarts loses nothing', async () => {
  await receiver.stop();
  const first = deliver({ consumer: 'before-restart', backoffBaseMs: 50 });
  await source.change('T5', 'lake', 'destination.connected');
  await source.change('T5', 'lake', 'destination.removed');
  await receiver.until(() => failuresRecorded() >= 1, 'a failed attempt');
  await first.stop();
  await receiver.start();
  deliver({ consumer: 'after-restart', deadAfterMs: 300, claimEveryMs: 50, backoffBaseMs: 50 });
  const received = await receiver.waitFor(2);
  expect(received.map((event) => event.type)).toEqual([
    'destination.connected',
    'destination.removed',
  ]);
});

test('a receiver that answers 500 gets the event again after doubling delays, then the rest in order', async () => {
  const clock = manualClock();
  let failures = 3;
  receiver.answer = () => (failures-- > 0 ? 500 : 200);
  deliver({ backoffBaseMs: 200, now: clock.now });
  await source.change('T3', 'lake', 'destination.connected');
  await source.change('T3', 'lake', 'destination.failing');

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
  expect(received.map((event) => event.type)).toEqual([
    'destination.connected',
    'destination.failing',
  ]);
  expect(logs.some((line) => line.includes('HTTP 500'))).toBe(true);
}, 20_000);

test('the back-off is capped', async () => {
  const clock = manualClock();
  receiver.answer = () => 500;
  deliver({ backoffBaseMs: 50, backoffCapMs: 100, now: clock.now });
  await source.change('T3', 'capped', 'destination.connected');

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

test('every failing entry is retried on its schedule, far past the first hundred', async () => {
  const clock = manualClock();
  const tried = new Map<string, number>();
  receiver.answer = (event) => {
    const count = (tried.get(event.id) ?? 0) + 1;
    tried.set(event.id, count);
    return count === 1 ? 500 : 200;
  };
  deliver({ now: clock.now, concurrency: 32 });
  for (let i = 0; i < 250; i += 1) await source.change('T6', `lake-${i}`, 'destination.connected');
  await attemptNumber(250);
  clock.advance(1000);
  await receiver.waitFor(250, 30_000);
  expect([...tried.values()].every((count) => count === 2)).toBe(true);
}, 40_000);

test('an event failing past the give-up time becomes a dead letter; replaying sends it again as it was', async () => {
  receiver.answer = () => 500;
  deliver({ backoffBaseMs: 50, giveUpAfterMs: 300 });
  const sent = [
    await source.change('T7', 'lake', 'destination.connected'),
    await source.change('T7', 'lake', 'destination.failing'),
  ];
  const until = Date.now() + 10_000;
  while ((await redis.client.xlen(OUTBOX_KEYS.dead)) < 2 && Date.now() < until) await sleep(50);
  const dead = await redis.client.xrange(OUTBOX_KEYS.dead, '-', '+');
  expect(dead).toHaveLength(2);
  expect(dead[0][1]).toEqual(expect.arrayContaining(['reason', expect.stringMatching(/HTTP 500/)]));
  expect(await redis.client.xlen(OUTBOX_KEYS.stream)).toBe(0);

  receiver.answer = () => 200;
  expect(await outbox.replayDeadLetters()).toBe(2);
  // The same events, same ids and sequences, although the destination has moved past them.
  expect(await receiver.waitFor(2)).toEqual(sent);
  expect(await redis.client.xlen(OUTBOX_KEYS.dead)).toBe(0);
  // And what comes next is numbered and sent as usual.
  const next = await source.change('T7', 'lake', 'destination.recovered');
  expect((await receiver.waitFor(3))[2]).toEqual(next);
});
