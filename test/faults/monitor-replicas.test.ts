import { Redis } from 'ioredis';
import { createRedisStores, waitForRedis, type Stores } from '../../src/store';
import { botEnvironment, spawnBot, stopBots, type BotProcess } from '../support/bot-process';
import { numberedChallengeKey, destinationSettings } from '../support/fixtures';
import { REDIS_URL } from '../support/redis';
import { startFaultServer, type FaultServer } from '../support/s3-fault-server';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { forEachConcurrently } from '../support/worker-pool';

// Bot processes sharing one Redis share the monitor's rounds: each takes part, every destination
// is checked once, a killed one's checks are taken over, and a failure is alerted exactly once
// however the replicas come and go. Each process counts its own checks in its metrics.

const DESTINATIONS = 200;
// A database of its own: the replicas write keys without a test prefix, and check every team.
const DATABASE = 8;
const url = new URL(REDIS_URL);
url.pathname = `/${DATABASE}`;
const BOT_REDIS_URL = url.toString();
/** The monitor's delayed jobs (its confirmations, the next round), in the queue's own keys. */
const DELAYED_KEY = '{s3d-monitor}:monitor:delayed';

function startReplica(slack: SlackStandIn, s3: FaultServer): BotProcess {
  return spawnBot(
    botEnvironment({
      SLACK_API_URL: slack.apiUrl,
      METRICS_PORT: '0',
      MONITOR_INTERVAL_SECONDS: '3600',
      MONITOR_CONCURRENCY: '4',
      MONITOR_CONFIRM_DELAY_SECONDS: '2',
      MONITOR_STALL_SECONDS: '2',
      REDIS_URL: BOT_REDIS_URL,
      S3_ENDPOINT: s3.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_TIMEOUT_MS: '5000',
    }),
  );
}

/** The ports a started replica listens on: Slack's, and the metrics'. */
async function portsOf(replica: BotProcess) {
  const http = JSON.parse(await replica.waitForLine(/"mode":"http"/));
  const metrics = JSON.parse(await replica.waitForLine(/"metricsPort"/));
  return { slack: http.port as number, metrics: metrics.metricsPort as number };
}

/** The replica's monitor checks so far, by outcome, from its own /metrics. */
async function monitorChecks(metricsPort: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(
    /^s3d_checks_total\{source="monitor",outcome="(\w+)"\} (\d+)/gm,
  )) {
    counts[match[1]] = Number(match[2]);
  }
  return counts;
}

/** Confirmations waiting for their pause to end. */
async function confirmationsWaiting(redis: Redis): Promise<number> {
  const ids = await redis.zrange(DELAYED_KEY, '0', '-1');
  return ids.filter((id) => id.startsWith('confirm-')).length;
}

const total = (counts: Record<string, number>) =>
  Object.values(counts).reduce((sum, count) => sum + count, 0);

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Saves `count` destinations; the challenge file of those in `failing` is missing (S3 lists
 * only the others, and answers a direct look at any file 404).
 */
async function seed(stores: Stores, count: number, failing: ReadonlySet<number>, s3: FaultServer) {
  const at = new Date().toISOString();
  s3.setFault({ op: 'HeadObject', kind: 'NotFound' });
  for (let i = 0; i < count; i += 1) if (!failing.has(i)) s3.addObject(numberedChallengeKey(i));
  await forEachConcurrently(
    Array.from({ length: count }, (_, i) => i),
    50,
    async (i) => {
      await stores.destinations.save({
        teamId: `T0REPLICA${i % 5}`,
        settings: destinationSettings({ bucket: `replica-${String(i).padStart(4, '0')}` }),
        challengeKey: numberedChallengeKey(i),
        channelId: 'C0REPLICA',
        connectedBy: 'U0REPLICA',
        verifiedAt: at,
        lastCheck: { at, ok: true, summary: 'All checks passed' },
      });
    },
  );
}

describe('the monitor across bot processes', () => {
  let slack: SlackStandIn;
  let s3: FaultServer;
  let redis: Redis;

  beforeAll(async () => {
    [slack, s3] = await Promise.all([startSlackStandIn(), startFaultServer()]);
    redis = new Redis(BOT_REDIS_URL, { maxRetriesPerRequest: 1 });
    await waitForRedis(redis, 5000);
  });

  beforeEach(async () => {
    await redis.flushdb();
    s3.reset();
    slack.reset();
  });

  afterEach(stopBots);

  afterAll(async () => {
    await redis?.flushdb();
    redis?.disconnect();
    await Promise.all([slack?.close(), s3?.stop()]);
  });

  const start = () => startReplica(slack, s3);

  it('has two processes share a round, each destination checked once, metrics on their own port only', async () => {
    await seed(createRedisStores(redis, 3600), DESTINATIONS, new Set(), s3);
    // Slow enough that one process alone would take seconds: the other joins in meanwhile.
    s3.setFault({ kind: 'slow', delayMs: 100 });
    const [a, b] = [start(), start()];
    const [portsA, portsB] = await Promise.all([portsOf(a), portsOf(b)]);

    const finished = await Promise.race(
      [a, b].map((replica) => replica.waitForLine(/monitor: round finished/, 90_000)),
    );

    expect(JSON.parse(finished)).toMatchObject({ checked: DESTINATIONS, failures: 0, alerts: 0 });
    const [checksA, checksB] = await Promise.all([
      monitorChecks(portsA.metrics),
      monitorChecks(portsB.metrics),
    ]);
    expect(total(checksA)).toBeGreaterThan(0);
    expect(total(checksB)).toBeGreaterThan(0);
    expect(total(checksA) + total(checksB)).toBe(DESTINATIONS);
    expect(checksA.ok + checksB.ok).toBe(DESTINATIONS);
    // One S3 call per healthy destination: none was checked twice.
    expect(s3.requests).toHaveLength(DESTINATIONS);
    // The metrics are never served where Slack posts.
    const onSlackPort = await fetch(`http://127.0.0.1:${portsA.slack}/metrics`);
    expect(onSlackPort.status).toBe(404);
    expect(await onSlackPort.text()).not.toContain('s3d_checks_total');
  }, 120_000);

  it('finishes the round after a process is killed mid-round, alerting each failure once', async () => {
    const failing = new Set([3, 77, 150]);
    await seed(createRedisStores(redis, 3600), DESTINATIONS, failing, s3);
    s3.setFault({ kind: 'slow', delayMs: 100 });
    const [a, b] = [start(), start()];
    const [portsA] = await Promise.all([portsOf(a), portsOf(b)]);
    await until(async () => total(await monitorChecks(portsA.metrics)) >= 10);

    a.child.kill('SIGKILL');
    const finished = await b.waitForLine(/monitor: round finished/, 90_000);

    // Every destination counted once in the round, the killed process's unfinished ones by b.
    expect(JSON.parse(finished)).toMatchObject({ checked: DESTINATIONS, alerts: failing.size });
    const alerts = slack.callsTo('chat.postMessage');
    expect(alerts).toHaveLength(failing.size);
    const named = alerts.map((call) => /replica-\d{4}/.exec(JSON.stringify(call.body))?.[0]);
    expect(named.sort()).toEqual(
      [...failing].map((i) => `replica-${String(i).padStart(4, '0')}`).sort(),
    );
    const checkedBuckets = new Set(s3.requests.map((request) => request.bucket));
    expect(checkedBuckets.size).toBe(DESTINATIONS);
  }, 150_000);

  it('alerts once on a failure confirmed after the process that saw it first was killed', async () => {
    await seed(createRedisStores(redis, 3600), 1, new Set([0]), s3);
    const first = start();
    await until(async () => (await confirmationsWaiting(redis)) === 1);

    first.child.kill('SIGKILL');
    const second = start();
    const finished = await second.waitForLine(/monitor: round finished/, 60_000);

    expect(JSON.parse(finished)).toMatchObject({ checked: 1, alerts: 1 });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
  }, 90_000);

  it('does not alert on a failure gone by the confirming check', async () => {
    await seed(createRedisStores(redis, 3600), 1, new Set([0]), s3);
    const replica = start();
    await until(async () => (await confirmationsWaiting(redis)) === 1);

    s3.addObject(numberedChallengeKey(0));
    const finished = await replica.waitForLine(/monitor: round finished/, 60_000);

    expect(JSON.parse(finished)).toMatchObject({ checked: 1, alerts: 0, failures: 0 });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
  }, 90_000);
});
