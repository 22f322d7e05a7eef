import { randomUUID } from 'node:crypto';
import { webApi } from '@slack/bolt';
import type { Redis } from 'ioredis';
import type { Deps } from '../../src/deps';
import { connectJobRedis } from '../../src/monitor/connection';
import type { CheckJob } from '../../src/monitor/jobs';
import type { Monitor, MonitorOptions } from '../../src/monitor/monitor';
import { createMonitorQueue } from '../../src/monitor/queue';
import { RedisRoundLedger } from '../../src/store/round-ledger';
import {
  createRedisClient,
  createRedisStores,
  waitForRedis,
  type DestinationDraft,
  type SavedDestination,
  type Stores,
} from '../../src/store';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { CHALLENGE_NOT_FOUND_TEXT } from '../../src/verify/explain';
import { WRITE_CHECK_KEY } from '../../src/verify/report';
import type { Verifier, VerifyTarget, WatchTarget } from '../../src/verify/verifier-port';
import type { S3ClientFactory } from '../../src/verify/s3-clients';
import { S3Verifier } from '../../src/verify/verifier';
import { REDIS_URL, testRedis, type TestRedis } from '../support/redis';
import { localVerifier, LOCAL_S3_REGION, startLocalS3, type LocalS3 } from '../support/s3-local';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { testDeps } from '../support/test-app';
import { roundCounts, startTestMonitor, testQueuePrefix } from '../support/monitor';
import { destinationSettings } from '../support/fixtures';

const TEAM = 'T0MONITOR';
const CHANNEL = 'C0ALERTS';

/** The real verifier, counting how often each bucket was checked. */
class CountingVerifier implements Verifier {
  readonly checks = new Map<string, number>();

  constructor(private readonly inner: Verifier) {}

  verify(target: VerifyTarget) {
    this.checks.set(target.bucket, (this.checks.get(target.bucket) ?? 0) + 1);
    return this.inner.verify(target);
  }

  watch(target: WatchTarget) {
    this.checks.set(target.bucket, (this.checks.get(target.bucket) ?? 0) + 1);
    return this.inner.watch(target);
  }

  get total(): number {
    return [...this.checks.values()].reduce((sum, count) => sum + count, 0);
  }
}

let s3: LocalS3;
let s3Clients: S3ClientFactory;
let slack: SlackStandIn;
let redis: TestRedis;
const logs: string[] = [];
/** Closed after each test: second Redis clients, monitors. */
let cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  [s3, slack, redis] = await Promise.all([startLocalS3(), startSlackStandIn(), testRedis()]);
  ({ clients: s3Clients } = localVerifier(s3.endpoint, 5000));
});

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
  await redis.flush();
  slack.reset();
  logs.length = 0;
});

afterAll(async () => {
  s3Clients?.destroy();
  await Promise.all([s3?.stop(), slack?.close(), redis?.cleanup()]);
});

/** Each check takes a while, so that another replica takes jobs meanwhile. */
function slow(inner: Verifier): Verifier {
  return {
    verify: (target: VerifyTarget) => inner.verify(target),
    watch: async (target: WatchTarget) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return inner.watch(target);
    },
  };
}

/** How many times each bucket was checked, over every replica's verifier. */
function checksOver(verifiers: readonly CountingVerifier[]): Record<string, number> {
  const both = new Map<string, number>();
  for (const counted of verifiers) {
    for (const [bucket, count] of counted.checks) both.set(bucket, (both.get(bucket) ?? 0) + count);
  }
  return Object.fromEntries(both);
}

function depsWith(stores: Stores, verifier: Verifier): Deps {
  return testDeps({ logs, stores, verifier });
}

/** Another client on the same Redis and key prefix: what a second replica would hold. */
async function secondRedisClient(): Promise<Redis> {
  const client = createRedisClient(REDIS_URL, { keyPrefix: redis.prefix });
  cleanups.push(() => client.quit().catch(() => client.disconnect()));
  await waitForRedis(client, 5000);
  return client;
}

function slackClient(): webApi.WebClient {
  return new webApi.WebClient('xoxb-test', {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
  });
}

function monitorFor(deps: Deps, options: Partial<MonitorOptions> = {}): Monitor {
  const monitor = startTestMonitor(deps, slackClient(), options);
  cleanups.push(() => monitor.stop());
  return monitor;
}

/** Two replicas sharing one queue, each on its own Redis client, each counting its slow checks. */
async function twoSlowReplicas(options: Partial<MonitorOptions>) {
  const real = new S3Verifier(s3Clients, { timeoutMs: 5000 });
  const [countedA, countedB] = [new CountingVerifier(slow(real)), new CountingVerifier(slow(real))];
  const storesA = createRedisStores(redis.client, 3600);
  const storesB = createRedisStores(await secondRedisClient(), 3600);
  const prefix = testQueuePrefix();
  const a = monitorFor(depsWith(storesA, countedA), { prefix, ...options });
  monitorFor(depsWith(storesB, countedB), { prefix, ...options });
  return { a, prefix, storesA, countedA, countedB };
}

/** A bucket on the local S3 server holding its challenge file, saved as a passing destination. */
async function connectedDestination(stores: Stores, teamId = TEAM): Promise<SavedDestination> {
  const bucket = `monitor-${randomUUID().slice(0, 8)}`;
  const challengeKey = `s3-destination-challenge-file-${randomUUID()}`;
  await s3.createBucket(bucket);
  await s3.putObject(bucket, challengeKey);
  const destination: DestinationDraft = {
    teamId,
    settings: destinationSettings({ bucket, region: LOCAL_S3_REGION }),
    challengeKey,
    channelId: CHANNEL,
    connectedBy: 'U0ALICE',
    verifiedAt: new Date().toISOString(),
    lastCheck: { at: new Date().toISOString(), ok: true, summary: 'All checks passed' },
  };
  const saved = await stores.destinations.save(destination);
  if (saved.status !== 'saved') throw new Error('the test destination was not saved');
  return saved.destination;
}

describe('the monitor against a real S3 server and Redis', () => {
  it('alerts once when the challenge file disappears and once when it is back', async () => {
    const stores = createRedisStores(redis.client, 3600);
    const monitor = monitorFor(depsWith(stores, new S3Verifier(s3Clients, { timeoutMs: 5000 })));
    const destination = await connectedDestination(stores);
    const { bucket } = destination.settings;
    const sweep = () => roundCounts(monitor);

    expect(await sweep()).toEqual({
      checked: 1,
      alerts: 0,
      recoveries: 0,
      failures: 0,
    });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);

    await s3.deleteObject(bucket, destination.challengeKey);
    expect(await sweep()).toEqual({
      checked: 1,
      alerts: 1,
      recoveries: 0,
      failures: 0,
    });
    const [alert] = slack.callsTo('chat.postMessage');
    expect(alert.body.channel).toBe(CHANNEL);
    expect(JSON.stringify(alert.body)).toContain(CHALLENGE_NOT_FOUND_TEXT);
    expect(JSON.stringify(alert.body)).toContain(bucket);
    expect(JSON.stringify(alert.body)).not.toContain(destination.challengeKey);
    expect((await stores.destinations.get(TEAM, bucket))?.lastCheck.ok).toBe(false);

    expect(await sweep()).toEqual({
      checked: 1,
      alerts: 0,
      recoveries: 0,
      failures: 0,
    });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);

    await s3.putObject(bucket, destination.challengeKey);
    expect(await sweep()).toEqual({
      checked: 1,
      alerts: 0,
      recoveries: 1,
      failures: 0,
    });
    const recovery = slack.callsTo('chat.postMessage')[1];
    expect(recovery.body.channel).toBe(CHANNEL);
    expect(String(recovery.body.text)).toContain('passes its checks again');
    expect(JSON.stringify(recovery.body)).not.toContain(destination.challengeKey);

    expect(await sweep()).toEqual({
      checked: 1,
      alerts: 0,
      recoveries: 0,
      failures: 0,
    });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(2);
    expect((await stores.destinations.get(TEAM, bucket))?.lastCheck.ok).toBe(true);
    expect(logs.join('\n')).not.toContain(destination.challengeKey);
    expect(logs.filter((line) => line.includes('monitor: round finished'))).toHaveLength(5);
    // The routine check never writes: no write-check object ever appeared.
    expect(await s3.objectExists(bucket, WRITE_CHECK_KEY)).toBe(false);
  });

  it('leaves a write-check object from setup untouched and creates no new version of it', async () => {
    const stores = createRedisStores(redis.client, 3600);
    const monitor = monitorFor(depsWith(stores, new S3Verifier(s3Clients, { timeoutMs: 5000 })));
    const destination = await connectedDestination(stores);
    const { bucket } = destination.settings;
    await s3.putObject(bucket, WRITE_CHECK_KEY, 'left by setup');
    const before = await s3.client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: WRITE_CHECK_KEY }),
    );

    await monitor.runRound();

    const after = await s3.client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: WRITE_CHECK_KEY }),
    );
    expect(after.ETag).toBe(before.ETag);
    expect(after.LastModified).toEqual(before.LastModified);
  });

  it('has two replicas share one round and check each destination once', async () => {
    const { a, storesA, countedA, countedB } = await twoSlowReplicas({
      batchSize: 1,
      concurrency: 2,
    });
    const buckets: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      buckets.push(
        (await connectedDestination(storesA, i % 2 ? 'T0ONE' : 'T0TWO')).settings.bucket,
      );
    }

    const totals = await roundCounts(a);

    expect(totals).toEqual({ checked: 12, alerts: 0, recoveries: 0, failures: 0 });
    expect(countedA.total).toBeGreaterThan(0);
    expect(countedB.total).toBeGreaterThan(0);
    expect(checksOver([countedA, countedB])).toEqual(
      Object.fromEntries(buckets.map((b) => [b, 1])),
    );
  });

  it('cuts a small round into jobs enough for both replicas, which share them', async () => {
    // Jobs of up to 50 destinations, as by default: a round of 12 would be one job.
    const { a, prefix, storesA, countedA, countedB } = await twoSlowReplicas({ concurrency: 2 });
    const buckets: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      buckets.push((await connectedDestination(storesA)).settings.bucket);
    }

    const connection = connectJobRedis(REDIS_URL, () => undefined);
    const queue = createMonitorQueue(connection, prefix);
    cleanups.push(async () => {
      await queue.close();
      await connection.quit();
    });
    await until(async () => (await queue.getWorkersCount()) === 2);

    const totals = await roundCounts(a);

    expect(totals).toEqual({ checked: 12, alerts: 0, recoveries: 0, failures: 0 });
    // Two replicas running two jobs each: four jobs of three.
    const jobs = (await queue.getJobs(['completed'])).filter((job) => job.name === 'check');
    expect(jobs.map((job) => (job.data as CheckJob).buckets.length)).toEqual([3, 3, 3, 3]);
    expect(countedA.total).toBeGreaterThan(0);
    expect(countedB.total).toBeGreaterThan(0);
    expect(checksOver([countedA, countedB])).toEqual(
      Object.fromEntries(buckets.map((b) => [b, 1])),
    );
  });

  it('keeps the job size a round chose first when its listing runs again', async () => {
    const connection = connectJobRedis(REDIS_URL, () => undefined);
    cleanups.push(() => connection.quit());
    const ledger = new RedisRoundLedger(connection, testQueuePrefix());

    expect(await ledger.batchSize('round-1', 3)).toBe(3);
    // Taken over by a replica that counts another number of replicas: its jobs' ids stay the same.
    expect(await ledger.batchSize('round-1', 50)).toBe(3);
    expect(await ledger.batchSize('round-2', 50)).toBe(50);
  });

  it('has two replicas on a timer open one round per interval between them', async () => {
    const verifier = new CountingVerifier(new S3Verifier(s3Clients, { timeoutMs: 5000 }));
    const storesA = createRedisStores(redis.client, 3600);
    const storesB = createRedisStores(await secondRedisClient(), 3600);
    const buckets = [
      (await connectedDestination(storesA)).settings.bucket,
      (await connectedDestination(storesA)).settings.bucket,
    ];
    const intervalMs = 1000;
    const started = Date.now();
    const prefix = testQueuePrefix();

    const a = monitorFor(depsWith(storesA, verifier), { prefix, intervalSeconds: 1 });
    const b = monitorFor(depsWith(storesB, verifier), { prefix, intervalSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await Promise.all([a.stop(), b.stop()]);
    const intervalsBegun = Math.ceil((Date.now() - started) / intervalMs);

    const rounds = logs.filter((line) => line.includes('monitor: round finished')).length;
    expect(rounds).toBeGreaterThanOrEqual(2);
    expect(rounds).toBeLessThanOrEqual(intervalsBegun);
    // Every round checked every destination exactly once.
    expect(verifier.total).toBe(rounds * buckets.length);
    for (const bucket of buckets) expect(verifier.checks.get(bucket)).toBe(rounds);
  });

  it('does not alert on a failure that is gone by the confirming check', async () => {
    const stores = createRedisStores(redis.client, 3600);
    const monitor = monitorFor(depsWith(stores, new S3Verifier(s3Clients, { timeoutMs: 5000 })), {
      confirmDelayMs: 1000,
    });
    const destination = await connectedDestination(stores);
    const { bucket } = destination.settings;
    await s3.deleteObject(bucket, destination.challengeKey);

    const round = roundCounts(monitor);
    await until(async () => (await monitor.depth()).delayed === 1);
    await s3.putObject(bucket, destination.challengeKey);

    expect(await round).toEqual({ checked: 1, alerts: 0, recoveries: 0, failures: 0 });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect((await stores.destinations.get(TEAM, bucket))?.lastCheck.ok).toBe(true);
  });

  it('alerts once on a failure confirmed by another replica after the first one stopped', async () => {
    const verifier = new S3Verifier(s3Clients, { timeoutMs: 5000 });
    const stores = createRedisStores(redis.client, 3600);
    const shared = { prefix: testQueuePrefix(), confirmDelayMs: 1000 };
    const first = startTestMonitor(depsWith(stores, verifier), slackClient(), shared);
    const destination = await connectedDestination(stores);
    const { bucket } = destination.settings;
    await s3.deleteObject(bucket, destination.challengeKey);

    void first.runRound().catch(() => undefined);
    await until(async () => (await first.depth()).delayed === 1);
    await first.stop();
    const second = monitorFor(
      depsWith(createRedisStores(await secondRedisClient(), 3600), verifier),
      shared,
    );
    await until(async () => logs.some((line) => line.includes('monitor: round finished')));

    const finished = JSON.parse(
      logs.find((line) => line.includes('monitor: round finished')) ?? '{}',
    );
    expect(finished).toMatchObject({ checked: 1, alerts: 1, failures: 0 });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect((await stores.destinations.get(TEAM, bucket))?.lastCheck.ok).toBe(false);
    expect((await second.depth()).delayed).toBe(0);
  });
});

/** Resolves once `condition` holds, checking every 20 ms. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 20));
}
