import { Redis } from 'ioredis';
import { createRedisStores, waitForRedis } from '../../src/store';
import { forEachConcurrently } from '../support/worker-pool';
import { botEnvironment, spawnBot, stopBots, type BotProcess } from '../support/bot-process';
import { numberedChallengeKey, destinationSettings } from '../support/fixtures';
import { REDIS_URL } from '../support/redis';
import { startFaultServer, type FaultServer } from '../support/s3-fault-server';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';

// A replica stopped in the middle of a round of 1,000 destinations exits 0 within the 10 s
// shutdown budget, leaves the rest of the round queued, and another replica finishes it: every
// destination checked, none lost.

const DESTINATIONS = 1000;
const TEAMS = 10;
// A database of its own: the replicas write keys without a test prefix, and sweep every team.
const DATABASE = 7;
const url = new URL(REDIS_URL);
url.pathname = `/${DATABASE}`;
const BOT_REDIS_URL = url.toString();

function startReplica(slack: SlackStandIn, s3: FaultServer): BotProcess {
  return spawnBot(
    botEnvironment({
      SLACK_API_URL: slack.apiUrl,
      MONITOR_INTERVAL_SECONDS: '3600',
      MONITOR_CONFIRM_DELAY_SECONDS: '1',
      REDIS_URL: BOT_REDIS_URL,
      S3_ENDPOINT: s3.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_TIMEOUT_MS: '5000',
    }),
  );
}

describe('shutdown in the middle of a sweep', () => {
  let slack: SlackStandIn;
  let s3: FaultServer;
  let redis: Redis;

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
          settings: destinationSettings({ bucket: `sweep-${String(i).padStart(4, '0')}` }),
          challengeKey: numberedChallengeKey(i),
          channelId: 'C0SWEEP',
          connectedBy: 'U0SWEEP',
          verifiedAt: at,
          lastCheck: { at, ok: true, summary: 'All checks passed' },
        });
      },
    );
  }, 60_000);

  afterAll(async () => {
    await stopBots();
    await redis?.flushdb();
    redis?.disconnect();
    await Promise.all([slack?.close(), s3?.stop()]);
  });

  it('exits 0 within 10 s, and a second replica finishes the round', async () => {
    // Every challenge file listed: one call per destination, as on a healthy bucket.
    for (let i = 0; i < DESTINATIONS; i += 1) s3.addObject(numberedChallengeKey(i));
    // S3 answers each call after 2 s: the round would take minutes.
    s3.setFault({ kind: 'slow', delayMs: 2000 });
    const first = startReplica(slack, s3);
    await first.waitForLine(/"mode":"http"/);
    const deadline = Date.now() + 10_000;
    while (s3.requests.length < 8 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(s3.requests.length).toBeGreaterThanOrEqual(8);

    const stoppedAt = Date.now();
    first.child.kill('SIGTERM');
    const code = await first.exited();
    const tookMs = Date.now() - stoppedAt;

    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(10_000);
    expect(first.stdout.some((line) => line.includes('monitor: round finished'))).toBe(false);
    expect(first.stdout.some((line) => line.includes('"msg":"stopped"'))).toBe(true);

    s3.setFault({ kind: 'ok' });
    const second = startReplica(slack, s3);
    const finished = await second.waitForLine(/monitor: round finished/, 60_000);
    // Counted over both replicas: the checks the first finished, and the rest.
    expect(JSON.parse(finished)).toMatchObject({ checked: DESTINATIONS, failures: 0, alerts: 0 });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
    second.child.kill('SIGTERM');
    expect(await second.exited()).toBe(0);
  }, 90_000);
});
