import { setTimeout as sleep } from 'node:timers/promises';
import { OUTBOX_KEYS, RedisOutbox, RedisTeamOutboxes } from '../../src/store/outbox';
import { startDelivery } from '../../src/events/delivery';
import { EventRelay } from '../../src/events/relay';
import { changeEventSchema, type ChangeEvent } from '../../src/events/types';
import { createLogger } from '../../src/log/logger';
import {
  createRedisClient,
  createRedisStores,
  eventSequenceKey,
  teamOutboxKey,
  verifyLockKey,
  type Stores,
  waitForRedis,
} from '../../src/store';
import { startRedisProxy, useTestRedis } from '../support/redis';
import { WebhookReceiver, webhookSecret } from '../support/webhook-receiver';
import { savedDestination } from '../support/fixtures';

// The store's scripts decide each change's event from the value they replace and append it to
// the team's outbox in the same step; the relay moves it to the delivery outbox.

const redis = useTestRedis({ scope: 'test' });
const WEBHOOK_SECRET = webhookSecret(3);
let stores: Stores;
const logs: string[] = [];
const logger = createLogger({
  level: 'info',
  destination: { write: (line: string) => logs.push(line) },
});

beforeEach(() => {
  logs.length = 0;
  stores = createRedisStores(redis.client, 3600, { events: true });
});

type OutboxEntry = Record<string, string>;

async function teamOutbox(teamId: string): Promise<OutboxEntry[]> {
  const entries = (await redis.client.xrange(teamOutboxKey(teamId), '-', '+')) as [
    string,
    string[],
  ][];
  return entries.map(([, fields]) => {
    const entry: OutboxEntry = {};
    for (let i = 0; i < fields.length; i += 2) entry[fields[i]] = fields[i + 1];
    return entry;
  });
}

async function delivered(): Promise<ChangeEvent[]> {
  const entries = (await redis.client.xrange(OUTBOX_KEYS.stream, '-', '+')) as [string, string[]][];
  return entries.map(([, fields]) =>
    changeEventSchema.parse(JSON.parse(fields[fields.indexOf('event') + 1])),
  );
}

const draft = (bucket = 'lake') => ({ ...savedDestination('T1', bucket), version: undefined });
const failing = (at: string) => ({ lastCheck: { at, ok: false, summary: 'Challenge file: 404' } });
const passing = (at: string) => ({ lastCheck: { at, ok: true, summary: 'All checks passed' } });

describe('the store appends each change’s event with the change', () => {
  it('numbers one destination’s events across its whole life, removed and connected again', async () => {
    const first = await stores.destinations.save(draft());
    if (first.status !== 'saved') throw new Error('not saved');
    const version = first.destination.version;
    await stores.destinations.record('T1', 'lake', version, failing('2025-01-01T00:00:01Z'));
    await stores.destinations.record('T1', 'lake', version, failing('2025-01-01T00:00:02Z'));
    await stores.destinations.record('T1', 'lake', version, passing('2025-01-01T00:00:03Z'));
    await stores.destinations.remove('T1', 'lake');
    await stores.destinations.remove('T1', 'lake');
    await stores.destinations.save(draft());
    await stores.destinations.save(draft());

    expect((await teamOutbox('T1')).map((entry) => [entry.type, entry.sequence])).toEqual([
      ['destination.connected', '1'],
      ['destination.failing', '2'],
      ['destination.recovered', '3'],
      ['destination.removed', '4'],
      ['destination.connected', '5'],
      ['destination.updated', '6'],
    ]);
    expect(await redis.client.hget(eventSequenceKey('T1'), 'lake')).toBe('6');
  });

  it('appends nothing for a change refused: fenced, stale, or on another version', async () => {
    const saved = await stores.destinations.save(draft());
    if (saved.status !== 'saved') throw new Error('not saved');
    const lockKey = verifyLockKey('T1', 'S1');
    expect(await stores.destinations.save(draft(), { lockKey, token: 'not-held' })).toEqual({
      status: 'fenced',
    });
    const { version } = saved.destination;
    await stores.destinations.record('T1', 'lake', version, passing('2025-01-01T00:00:05Z'));
    const stale = await stores.destinations.record(
      'T1',
      'lake',
      version,
      failing('2025-01-01T00:00:04Z'),
    );
    const other = await stores.destinations.record(
      'T1',
      'lake',
      version + 1,
      failing('2025-01-01T00:00:06Z'),
    );

    expect([stale, other]).toEqual([{ outcome: 'stale' }, { outcome: 'changed' }]);
    expect((await teamOutbox('T1')).map((entry) => entry.type)).toEqual(['destination.connected']);
  });

  it('says which change it made, with the id and time it was given', async () => {
    const stamp = { id: 'evt-1', at: '2025-01-01T00:00:00.000Z' };
    const saved = await stores.destinations.save(draft(), undefined, stamp);

    expect(saved).toMatchObject({
      status: 'saved',
      change: { type: 'destination.connected', id: 'evt-1', at: stamp.at, sequence: 1 },
    });
    expect(await teamOutbox('T1')).toEqual([
      expect.objectContaining({ id: 'evt-1', at: stamp.at, bucket: 'lake', sequence: '1' }),
    ]);
  });

  it('keeps no outbox when events are off', async () => {
    const plain = createRedisStores(redis.client, 3600);
    const saved = await plain.destinations.save(draft());

    expect(saved).toMatchObject({ change: { type: 'destination.connected' } });
    expect(saved.status === 'saved' && saved.change.sequence).toBeUndefined();
    expect(await redis.keys()).not.toContain(teamOutboxKey('T1'));
  });
});

describe('the relay', () => {
  it('moves what a crashed replica left in a team’s outbox, then deletes that outbox', async () => {
    // Appended with their changes; the process that made them died before relaying them.
    await stores.destinations.save(draft('lake-a'));
    await stores.destinations.save(draft('lake-b'));
    await stores.destinations.remove('T1', 'lake-a');
    const relay = new EventRelay(
      new RedisTeamOutboxes(redis.client),
      new RedisOutbox(redis.client),
      logger,
    );

    await relay.relayAll();

    const events = await delivered();
    expect(events.map((event) => [event.type, event.destination.bucket, event.sequence])).toEqual([
      ['destination.connected', 'lake-a', 1],
      ['destination.connected', 'lake-b', 1],
      ['destination.removed', 'lake-a', 2],
    ]);
    expect(JSON.stringify(events)).not.toContain('challenge-file');
    expect(await redis.keys()).not.toContain(teamOutboxKey('T1'));
  });

  it('sends the same event twice with the same id and sequence when two relays race', async () => {
    await stores.destinations.save(draft());
    const outbox = new RedisOutbox(redis.client);

    await Promise.all([
      new EventRelay(new RedisTeamOutboxes(redis.client), outbox, logger).relayAll(),
      new EventRelay(new RedisTeamOutboxes(redis.client), outbox, logger).relayAll(),
    ]);

    const events = await delivered();
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(new Set(events.map((event) => `${event.id}/${event.sequence}`)).size).toBe(1);
  });

  it('holds back an event it cannot read, and its destination’s later ones, never skipping them', async () => {
    await stores.destinations.save(draft('lake-a'));
    await redis.client.xadd(
      teamOutboxKey('T1'),
      '*',
      'id',
      'broken',
      'type',
      'destination.updated',
      'at',
      '2025-01-01T00:00:00Z',
      'bucket',
      'lake-b',
      'sequence',
      '1',
      'destination',
      '{not json',
    );
    await stores.destinations.save(draft('lake-b'));
    await stores.destinations.save(draft('lake-c'));
    const relay = new EventRelay(
      new RedisTeamOutboxes(redis.client),
      new RedisOutbox(redis.client),
      logger,
    );

    await relay.relayAll();

    expect((await delivered()).map((event) => event.destination.bucket)).toEqual([
      'lake-a',
      'lake-c',
    ]);
    expect((await teamOutbox('T1')).map((entry) => entry.bucket)).toEqual(['lake-b', 'lake-b']);
    expect(logs.join('\n')).toContain('cannot be read');
  });

  it('relays again within seconds once Redis answers after a stall, and the event reaches the webhook', async () => {
    const proxy = await startRedisProxy();
    const client = createRedisClient(proxy.url, { keyPrefix: redis.prefix });
    const receiver = new WebhookReceiver([WEBHOOK_SECRET]);
    await receiver.start();
    const outbox = new RedisOutbox(client);
    const delivery = startDelivery(outbox, {
      url: receiver.url,
      secrets: [WEBHOOK_SECRET],
      logger,
    });
    const relay = new EventRelay(new RedisTeamOutboxes(client), outbox, logger);
    try {
      await waitForRedis(client, 5000);
      await createRedisStores(client, 3600, { events: true }).destinations.save(draft());

      // Redis stops answering right after the change; the process that made it relays at once.
      proxy.freeze();
      relay.changed('T1');
      await sleep(4000);
      proxy.thaw();

      // Within 5 s of Redis answering again: no waiting for the 30 s rescan.
      const [event] = await receiver.waitFor(1, 5000);
      expect(event).toMatchObject({ type: 'destination.connected', sequence: 1 });
      expect(logs.join('\n')).toContain('relaying a team’s outbox failed');
    } finally {
      await relay.stop();
      await delivery.stop();
      await receiver.stop();
      client.disconnect();
      await proxy.close();
    }
  });
});
