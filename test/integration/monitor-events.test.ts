import { randomUUID } from 'node:crypto';
import { webApi } from '@slack/bolt';
import { OUTBOX_KEYS, RedisOutbox, RedisTeamOutboxes } from '../../src/store/outbox';
import { EventRelay } from '../../src/events/relay';
import { changeEventSchema } from '../../src/events/types';
import { createRedisStores } from '../../src/store';
import { startTestMonitor } from '../support/monitor';
import { S3Verifier } from '../../src/verify/verifier';
import type { S3ClientFactory } from '../../src/verify/s3-clients';
import { testRedis, type TestRedis } from '../support/redis';
import { localVerifier, LOCAL_S3_REGION, startLocalS3, type LocalS3 } from '../support/s3-local';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { testDeps } from '../support/test-app';
import { destinationSettings } from '../support/fixtures';

// The monitor's confirmed alert and its recovery reach the outbox as destination.failing and
// destination.recovered, appended by the store with the records that make them.

let s3: LocalS3;
let s3Clients: S3ClientFactory;
let slack: SlackStandIn;
let redis: TestRedis;

beforeAll(async () => {
  [s3, slack, redis] = await Promise.all([startLocalS3(), startSlackStandIn(), testRedis()]);
  ({ clients: s3Clients } = localVerifier(s3.endpoint, 5000));
});

afterAll(async () => {
  s3Clients?.destroy();
  await Promise.all([s3?.stop(), slack?.close(), redis?.cleanup()]);
});

test('a confirmed failure and the recovery are put in the outbox, in order, once each', async () => {
  const stores = createRedisStores(redis.client, 3600, { events: true });
  const base = testDeps({
    logs: [],
    stores,
    verifier: new S3Verifier(s3Clients, { timeoutMs: 5000 }),
  });
  const relay = new EventRelay(
    new RedisTeamOutboxes(redis.client),
    new RedisOutbox(redis.client),
    base.logger,
  );
  const deps = { ...base, changeFeed: relay };
  const client = new webApi.WebClient('xoxb-test', {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
  });
  const monitor = startTestMonitor(deps, client);
  const bucket = `events-${randomUUID().slice(0, 8)}`;
  const challengeKey = `s3-destination-challenge-file-${randomUUID()}`;
  await s3.createBucket(bucket);
  await s3.putObject(bucket, challengeKey);
  const now = new Date().toISOString();
  await stores.destinations.save({
    teamId: 'T0EVENTS',
    settings: destinationSettings({ bucket, region: LOCAL_S3_REGION }),
    challengeKey,
    channelId: 'C0ALERTS',
    connectedBy: 'U0ALICE',
    verifiedAt: now,
    lastCheck: { at: now, ok: true, summary: 'All checks passed' },
  });
  const sweep = () => monitor.runRound();
  try {
    await sweep();
    await s3.deleteObject(bucket, challengeKey);
    expect((await sweep()).alerts).toBe(1);
    await sweep();
    await s3.putObject(bucket, challengeKey);
    expect((await sweep()).recoveries).toBe(1);
    await sweep();
  } finally {
    await monitor.stop();
  }
  await relay.relayAll();

  const entries = await redis.client.xrange(OUTBOX_KEYS.stream, '-', '+');
  const events = entries.map(([, fields]) =>
    changeEventSchema.parse(JSON.parse(fields[fields.indexOf('event') + 1])),
  );
  expect(events.map((event) => [event.type, event.sequence])).toEqual([
    ['destination.connected', 1],
    ['destination.failing', 2],
    ['destination.recovered', 3],
  ]);
  expect(events[1].destination).toMatchObject({ bucket, last_check: { ok: false } });
  expect(events[2].destination).toMatchObject({ bucket, last_check: { ok: true } });
  expect(JSON.stringify(events)).not.toContain(challengeKey);
});
