import { startDelivery, type Delivery } from '../../src/events/delivery';
import { RedisOutbox } from '../../src/store/outbox';
import { createLogger } from '../../src/log/logger';
import { connectRedis, waitForRedis, type RedisClient } from '../../src/store/redis-client';
import { startCluster, type RedisTopology } from '../support/redis-topologies';
import { EventSource, WebhookReceiver, webhookSecret } from '../support/webhook-receiver';

const SECRET = webhookSecret(1);
const logger = createLogger({ level: 'silent', secrets: [SECRET] });

let cluster: RedisTopology;
let redis: RedisClient;
let receiver: WebhookReceiver;
const deliveries: Delivery[] = [];

beforeAll(async () => {
  cluster = await startCluster();
  redis = connectRedis(cluster.url);
  await waitForRedis(redis, 10_000);
  receiver = new WebhookReceiver([SECRET]);
  await receiver.start();
}, 60_000);

afterAll(async () => {
  await receiver?.stop();
  await Promise.all(deliveries.map((delivery) => delivery.stop()));
  redis?.disconnect();
  await cluster?.stop();
});

test('on a 3-node Cluster, two replicas deliver every event once, and take over a dead one’s', async () => {
  const outbox = new RedisOutbox(redis);
  const source = new EventSource(outbox);
  await outbox.ensureGroup();
  // A replica that read the first events and died.
  const first = [
    await source.change('T1', 'lake', 'destination.connected'),
    await source.change('T2', 'lake', 'destination.connected'),
  ];
  const reader = outbox.openReader(100);
  try {
    await reader.ready(10_000);
    expect(await reader.readNew('dead', 10, 100)).toHaveLength(2);
  } finally {
    reader.close();
  }
  for (const consumer of ['replica-a', 'replica-b']) {
    const options = { consumer, blockMs: 100, deadAfterMs: 500, claimEveryMs: 50 };
    deliveries.push(
      startDelivery(outbox, { url: receiver.url, secrets: [SECRET], logger, ...options }),
    );
  }
  const later = [];
  for (let i = 0; i < 10; i += 1) {
    later.push(await source.change(`T${i % 3}`, 'lake', 'destination.updated'));
  }
  const received = await receiver.waitFor(12);
  expect(received).toHaveLength(12);
  expect(new Set(received.map((event) => event.id))).toEqual(
    new Set([...first, ...later].map((event) => event.id)),
  );
  expect(receiver.rejected).toEqual([]);
  for (const team of ['T0', 'T1', 'T2']) {
    const sequences = received
      .filter((event) => event.destination.team_id === team)
      .map((event) => event.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
  }
}, 60_000);
