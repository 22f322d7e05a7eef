import { Redis } from 'ioredis';
import { createRedisStores, MONITOR_LOCK_KEY, waitForRedis } from '../../src/store';
import { forEachConcurrently } from '../support/worker-pool';
import { spawnBot, type BotProcess } from '../support/bot-process';
import { REDIS_URL } from '../support/redis';
import { startFaultServer, type FaultServer } from '../support/s3-fault-server';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { BOT_TOKEN, PRINCIPAL_ARN, SIGNING_SECRET } from '../support/test-app';

// A replica stopped in the middle of a sweep of 1,000 destinations exits 0 within the 10 s
// shutdown budget, hands the sweep's lock back, and another replica sweeps them all at once.

const DESTINATIONS = 1000;
const TEAMS = 10;
// A database of its own: the replicas write keys without a test prefix, and sweep every team.
const DATABASE = 7;
const url = new URL(REDIS_URL);
url.pathname = `/${DATABASE}`;
const BOT_REDIS_URL = url.toString();

function challengeKey(i: number): string {
  return `s3-destination-challenge-file-00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
}

function startReplica(slack: SlackStandIn, s3: FaultServer): BotProcess {
  return spawnBot({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    POLICY_PRINCIPAL_ARN: PRINCIPAL_ARN,
    PORT: '0',
    LOG_LEVEL: 'info',
    MONITOR_INTERVAL_SECONDS: '3600',
    REDIS_URL: BOT_REDIS_URL,
    S3_ENDPOINT: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    S3_TIMEOUT_MS: '5000',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_REGION: 'us-east-1',
  });
}

describe('shutdown in the middle of a sweep', () => {
  let slack: SlackStandIn;
  let s3: FaultServer;
  let redis: Redis;
  const replicas: BotProcess[] = [];

  beforeAll(async () => {
    [slack, s3] = await Promise.all([startSlackStandIn(), startFaultServer()]);
    redis = new Redis(BOT_REDIS_URL, { maxRetriesPerRequest: 1 });
    await waitForRedis(redis, 5000);
    await redis.flushdb();
    const stores = createRedisStores(redis, 3600);
    const at = new Date().toISOString();
    await forEachConcurrently(
      Array.from({ length: DESTINATIONS }, (_, i) => i),
      50,
      async (i) => {
        await stores.destinations.save({
          teamId: `T0SWEEP${i % TEAMS}`,
          settings: {
            bucket: `sweep-${String(i).padStart(4, '0')}`,
            region: 'us-east-1',
            format: 'jsonl',
            csvDelimiter: 'comma',
            csvForceQuote: false,
            keyTemplate: '[integration_name]/[table_name]/[table_version]_[timestamp_loaded]',
          },
          challengeKey: challengeKey(i),
          channelId: 'C0SWEEP',
          connectedBy: 'U0SWEEP',
          verifiedAt: at,
          lastCheck: { at, ok: true, summary: 'All checks passed' },
        });
      },
    );
  }, 60_000);

  afterAll(async () => {
    for (const replica of replicas) replica.child.kill('SIGKILL');
    await redis?.flushdb();
    redis?.disconnect();
    await Promise.all([slack?.close(), s3?.stop()]);
  });

  it('exits 0 within 10 s, releases the lock, and a second replica sweeps everything', async () => {
    // S3 answers each call after 2 s: the sweep would take minutes.
    s3.setFault({ kind: 'slow', delayMs: 2000 });
    const first = startReplica(slack, s3);
    replicas.push(first);
    await first.waitForLine(/"mode":"http"/);
    const deadline = Date.now() + 10_000;
    while (s3.requests.length < 8 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(s3.requests.length).toBeGreaterThanOrEqual(8);
    expect(await redis.exists(MONITOR_LOCK_KEY)).toBe(1);

    const stoppedAt = Date.now();
    first.child.kill('SIGTERM');
    const code = await first.exited();
    const tookMs = Date.now() - stoppedAt;

    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(10_000);
    expect(await redis.exists(MONITOR_LOCK_KEY)).toBe(0);
    const finished = first.stdout.find((line) => line.includes('monitor: sweep finished'));
    expect(JSON.parse(finished ?? '{}')).toMatchObject({ aborted: true });
    expect(first.stdout.some((line) => line.includes('"msg":"stopped"'))).toBe(true);

    s3.reset();
    // Every challenge file listed: one call per destination, as on a healthy bucket.
    for (let i = 0; i < DESTINATIONS; i += 1) s3.addObject(challengeKey(i));
    const second = startReplica(slack, s3);
    replicas.push(second);
    const swept = await second.waitForLine(/monitor: sweep finished/, 60_000);
    expect(JSON.parse(swept)).toMatchObject({ checked: DESTINATIONS, aborted: false, failures: 0 });
    second.child.kill('SIGTERM');
    expect(await second.exited()).toBe(0);
  }, 90_000);
});
