import { randomUUID } from 'node:crypto';
import { webApi } from '@slack/bolt';
import { startTestMonitor } from '../support/monitor';
import {
  connectRedis,
  createRedisStores,
  waitForRedis,
  type DestinationDraft,
  type SavedDestination,
  type SetupSession,
  type Stores,
} from '../../src/store';
import type { S3ClientFactory } from '../../src/verify/s3-clients';
import { S3Verifier } from '../../src/verify/verifier';
import type { VerificationReport } from '../../src/verify/report';
import type { Verifier, VerifyTarget, WatchTarget } from '../../src/verify/verifier-port';
import { waitUntil } from '../faults/flow';
import { visibleText } from '../support/message-text';
import { testRedis, type TestRedis } from '../support/redis';
import { startCluster, type RedisTopology } from '../support/redis-topologies';
import { localVerifier, LOCAL_S3_REGION, startLocalS3, type LocalS3 } from '../support/s3-local';
import {
  blockActionPayload,
  buttonAction,
  DEFAULT_ACTOR,
  slashCommandBody,
} from '../support/slack-payloads';
import { startTestApp, type TestApp } from '../support/test-app';
import { destinationSettings } from '../support/fixtures';

// Each race is made deterministic by holding the real verifier at a gate: the test does the
// competing change while the check is "at S3", then lets the check finish.

const TEAM = DEFAULT_ACTOR.teamId;

/** The real verifier, held at a gate before it answers. */
class GatedVerifier implements Verifier {
  private waiting: (() => void)[] = [];
  entered = 0;
  held = true;

  constructor(private readonly inner: Verifier) {}

  verify(target: VerifyTarget): Promise<VerificationReport> {
    return this.gate(() => this.inner.verify(target));
  }

  watch(target: WatchTarget): Promise<VerificationReport> {
    return this.gate(() => this.inner.watch(target));
  }

  /** Lets every held check (and every later one) through. */
  release(): void {
    this.held = false;
    for (const go of this.waiting.splice(0)) go();
  }

  private async gate(check: () => Promise<VerificationReport>): Promise<VerificationReport> {
    const report = await check();
    this.entered += 1;
    if (this.held) await new Promise<void>((resolve) => this.waiting.push(resolve));
    return report;
  }
}

let redis: TestRedis;
let cluster: RedisTopology;
let s3: LocalS3;
let clients: S3ClientFactory;
let stores: Stores;
let gated: GatedVerifier;
let t: TestApp;
let closeStores: () => Promise<void>;

beforeAll(async () => {
  [redis, cluster, s3] = await Promise.all([testRedis(), startCluster(), startLocalS3()]);
  ({ clients } = localVerifier(s3.endpoint, 5000));
}, 60_000);
afterAll(async () => {
  clients?.destroy();
  await Promise.all([s3?.stop(), redis?.cleanup(), cluster?.stop()]);
});
afterEach(async () => {
  gated.release();
  await t.stop();
  await closeStores();
});

/** The stores on one topology: this file's standalone Redis, or a fresh prefix on the Cluster. */
async function storesOn(topology: 'standalone' | 'cluster'): Promise<void> {
  if (topology === 'standalone') {
    stores = createRedisStores(redis.client, 3600);
    closeStores = () => redis.flush();
    return;
  }
  const client = connectRedis(cluster.url, { keyPrefix: `race:${randomUUID()}:` });
  await waitForRedis(client, 10_000);
  stores = createRedisStores(client, 3600);
  closeStores = async () => {
    await client.quit().catch(() => client.disconnect());
  };
}

/** A bucket on the local S3 server with its challenge file, saved as a passing destination. */
async function connected(overrides: Partial<DestinationDraft> = {}): Promise<SavedDestination> {
  const bucket = `race-${randomUUID().slice(0, 8)}`;
  const challengeKey = `s3-destination-challenge-file-${randomUUID()}`;
  await s3.createBucket(bucket);
  await s3.putObject(bucket, challengeKey);
  const at = new Date().toISOString();
  const saved = await stores.destinations.save({
    teamId: TEAM,
    settings: destinationSettings({ bucket, region: LOCAL_S3_REGION }),
    challengeKey,
    channelId: DEFAULT_ACTOR.channelId,
    connectedBy: DEFAULT_ACTOR.userId,
    verifiedAt: at,
    lastCheck: { at, ok: true, summary: 'All checks passed' },
    ...overrides,
  });
  if (saved.status !== 'saved') throw new Error('not saved');
  return saved.destination;
}

function confirmRemove(bucket: string, responseUrl: string) {
  return t.interact(
    blockActionPayload(DEFAULT_ACTOR, buttonAction('confirm_remove', JSON.stringify({ bucket })), {
      responseUrl,
    }),
  );
}

/** Texts the bot sent to the response_url `id`, in order. */
function repliesTo(id: string): string[] {
  const path = new URL(t.slack.responseUrl(id)).pathname;
  return t.slack
    .callsTo('response_url')
    .filter((call) => call.body.url === path)
    .map((call) => visibleText(call.body));
}

function channelPosts(): string[] {
  return t.slack.callsTo('chat.postMessage').map((call) => visibleText(call.body));
}

describe.each(['standalone', 'cluster'] as const)('races on Redis (%s)', (topology) => {
  beforeEach(async () => {
    await storesOn(topology);
    gated = new GatedVerifier(new S3Verifier(clients, { timeoutMs: 5000 }));
    t = await startTestApp({ stores, verifier: gated });
  });

  it('does not bring back a destination removed while `verify` was checking it', async () => {
    const destination = await connected();
    const { bucket } = destination.settings;
    const verifyUrl = t.slack.responseUrl('verify');
    await t.post(slashCommandBody(`verify ${bucket}`, DEFAULT_ACTOR, verifyUrl));
    await waitUntil(() => gated.entered === 1, 'the verify check to reach S3');

    await confirmRemove(bucket, t.slack.responseUrl('remove'));
    await waitUntil(() => repliesTo('remove').length === 1, 'the remove to be confirmed');
    gated.release();
    await waitUntil(
      () =>
        repliesTo('verify').some((text) => text.includes('was removed while it was being checked')),
      'verify to say the destination was removed meanwhile',
    );

    expect(repliesTo('remove')).toHaveLength(1);
    expect(repliesTo('remove')[0]).toContain(`Removed \`${bucket}\`.`);
    expect(await stores.destinations.get(TEAM, bucket)).toBeUndefined();
    expect(await stores.destinations.teams()).toEqual([]);
    const posts = channelPosts();
    expect(posts).toHaveLength(1);
    expect(posts[0]).toContain('removed');
    expect(posts.some((text) => text.includes('verified'))).toBe(false);
  });

  it('keeps a setup saved while `verify` was checking the previous one', async () => {
    const old = await connected();
    const { bucket } = old.settings;
    const verifyUrl = t.slack.responseUrl('verify');
    await t.post(slashCommandBody(`verify ${bucket}`, DEFAULT_ACTOR, verifyUrl));
    await waitUntil(() => gated.entered === 1, 'the verify check to reach S3');

    const newer = await stores.destinations.save({
      ...old,
      challengeKey: `s3-destination-challenge-file-${randomUUID()}`,
      settings: { ...old.settings, format: 'csv' },
    });
    gated.release();
    await waitUntil(
      () => repliesTo('verify').some((text) => text.includes('was set up again')),
      'verify to say the destination was set up again meanwhile',
    );

    const current = await stores.destinations.get(TEAM, bucket);
    expect(newer.status === 'saved' && current).toEqual(
      newer.status === 'saved' ? newer.destination : undefined,
    );
    expect(current?.settings.format).toBe('csv');
    expect(channelPosts()).toEqual([]);
  });

  it('does not alert about, nor bring back, a destination removed while the monitor checked it', async () => {
    const destination = await connected();
    const { bucket } = destination.settings;
    await s3.deleteObject(bucket, destination.challengeKey);
    const client = new webApi.WebClient('xoxb-test', {
      slackApiUrl: t.slack.apiUrl,
      retryConfig: { retries: 0 },
    });
    const monitor = startTestMonitor(t.deps, client);

    const sweeping = monitor.runRound();
    await waitUntil(() => gated.entered === 1, 'the sweep to reach S3');
    await stores.destinations.remove(TEAM, bucket);
    gated.release();
    await sweeping;
    await monitor.stop();

    expect(await stores.destinations.get(TEAM, bucket)).toBeUndefined();
    expect(channelPosts()).toEqual([]);
  });

  it('keeps the session lock for as long as its check runs, however short its TTL', async () => {
    const lockTtlMs = 150;
    await t.stop();
    t = await startTestApp({ stores, verifier: gated, settings: { verifyLockTtlMs: lockTtlMs } });
    const destination = await connected();
    await stores.destinations.remove(TEAM, destination.settings.bucket);
    const session: SetupSession = {
      id: randomUUID(),
      teamId: TEAM,
      userId: DEFAULT_ACTOR.userId,
      channelId: DEFAULT_ACTOR.channelId,
      settings: destination.settings,
      challengeKey: destination.challengeKey,
      createdAt: new Date().toISOString(),
    };
    await stores.sessions.put(session);
    const click = (id: string) =>
      t.interact(
        blockActionPayload(DEFAULT_ACTOR, buttonAction('check_and_save', session.id), {
          responseUrl: t.slack.responseUrl(id),
        }),
      );

    await click('first');
    await waitUntil(() => gated.entered === 1, 'the first check to reach S3');
    // Several lock lifetimes pass while the check is held.
    await new Promise((resolve) => setTimeout(resolve, lockTtlMs * 4));
    await click('second');
    await waitUntil(() => repliesTo('second').length === 1, 'the second click to be answered');
    gated.release();
    await waitUntil(() => channelPosts().length === 1, 'the result in the channel');
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(repliesTo('second')[0]).toContain('is already running');
    expect(gated.entered).toBe(1);
    expect(channelPosts()).toHaveLength(1);
    expect(channelPosts()[0]).toContain('connected');
    expect(
      (await stores.audit.recent(TEAM, 10)).filter((entry) => entry.action === 'check_and_save'),
    ).toHaveLength(1);
  });
});
