import { randomUUID } from 'node:crypto';
import { webApi } from '@slack/bolt';
import type { Monitor } from '../../src/monitor/monitor';
import {
  connectRedis,
  createRedisStores,
  waitForRedis,
  type RedisClient,
  type Stores,
} from '../../src/store';
import { S3Verifier } from '../../src/verify/verifier';
import type { S3ClientFactory } from '../../src/verify/s3-clients';
import { roundCounts, startTestMonitor, testQueuePrefix } from '../support/monitor';
import { startCluster, type RedisTopology } from '../support/redis-topologies';
import { localVerifier, LOCAL_S3_REGION, startLocalS3, type LocalS3 } from '../support/s3-local';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { testDeps } from '../support/test-app';
import { destinationSettings } from '../support/fixtures';

// The monitor's queue on a Redis Cluster: its keys share one slot (the hash tag in its prefix),
// so the job engine's scripts run there as on one Redis, and two replicas share the round.

let cluster: RedisTopology;
let client: RedisClient;
let s3: LocalS3;
let s3Clients: S3ClientFactory;
let slack: SlackStandIn;
const monitors: Monitor[] = [];

beforeAll(async () => {
  [cluster, s3, slack] = await Promise.all([startCluster(), startLocalS3(), startSlackStandIn()]);
  ({ clients: s3Clients } = localVerifier(s3.endpoint, 5000));
  client = connectRedis(cluster.url, { keyPrefix: `test:${randomUUID().slice(0, 8)}:` });
  await waitForRedis(client, 10_000);
}, 60_000);

afterAll(async () => {
  for (const monitor of monitors) await monitor.stop();
  s3Clients?.destroy();
  await client?.quit().catch(() => client.disconnect());
  await Promise.all([cluster?.stop(), s3?.stop(), slack?.close()]);
});

async function connected(stores: Stores, teamId: string, passing: boolean): Promise<string> {
  const bucket = `cluster-${randomUUID().slice(0, 8)}`;
  const challengeKey = `s3-destination-challenge-file-${randomUUID()}`;
  await s3.createBucket(bucket);
  if (passing) await s3.putObject(bucket, challengeKey);
  const at = new Date().toISOString();
  await stores.destinations.save({
    teamId,
    settings: destinationSettings({ bucket, region: LOCAL_S3_REGION }),
    challengeKey,
    channelId: 'C0CLUSTER',
    connectedBy: 'U0CLUSTER',
    verifiedAt: at,
    lastCheck: { at, ok: true, summary: 'All checks passed' },
  });
  return bucket;
}

it('runs a round on a Redis Cluster shared by two replicas, and alerts a confirmed failure once', async () => {
  const stores = createRedisStores(client, 3600);
  const deps = testDeps({
    logs: [],
    stores,
    verifier: new S3Verifier(s3Clients, { timeoutMs: 5000 }),
  });
  const slackClient = new webApi.WebClient('xoxb-test', {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
  });
  const shared = { redisUrl: cluster.url, prefix: testQueuePrefix(), batchSize: 2 };
  const a = startTestMonitor(deps, slackClient, shared);
  const b = startTestMonitor(deps, slackClient, shared);
  monitors.push(a, b);
  // Teams whose keys sit in different slots of the cluster.
  for (const teamId of ['T0CLUSTERA', 'T0CLUSTERB', 'T0CLUSTERC']) {
    await connected(stores, teamId, true);
    await connected(stores, teamId, true);
  }
  const failing = await connected(stores, 'T0CLUSTERB', false);

  expect(await roundCounts(a)).toEqual({ checked: 7, alerts: 1, recoveries: 0, failures: 0 });

  const alerts = slack.callsTo('chat.postMessage');
  expect(alerts).toHaveLength(1);
  expect(JSON.stringify(alerts[0].body)).toContain(failing);
  expect(await roundCounts(b)).toEqual({ checked: 7, alerts: 0, recoveries: 0, failures: 0 });
}, 60_000);
