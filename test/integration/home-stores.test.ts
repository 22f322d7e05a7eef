import {
  CHECK_HISTORY_MAX_ENTRIES,
  CHECK_HISTORY_TTL_SECONDS,
  MemoryCheckHistoryStore,
  MemoryHomeViewerStore,
  RedisCheckHistoryStore,
  RedisHomeViewerStore,
  connectRedis,
  historyKey,
  homeViewerKey,
  homeViewersKey,
  waitForRedis,
  type CheckHistoryStore,
  type HomeViewer,
  type HomeViewerStore,
} from '../../src/store';
import { testRedis, useTestRedis } from '../support/redis';
import { startCluster, type RedisTopology } from '../support/redis-topologies';

const VIEWER_TTL_SECONDS = 60;

/** One backend of the two stores, on a clock the test moves. */
interface Harness {
  readonly history: CheckHistoryStore;
  readonly viewers: HomeViewerStore;
  /** Moves the viewers' clock on by `ms` (Redis keys' own TTLs are checked separately). */
  elapse(ms: number): void;
  close(): Promise<void>;
}

function clock() {
  let now = Date.parse('2025-01-01T00:00:00Z');
  return { now: () => now, elapse: (ms: number) => (now += ms) };
}

async function memoryHarness(): Promise<Harness> {
  const time = clock();
  return {
    history: new MemoryCheckHistoryStore(),
    viewers: new MemoryHomeViewerStore(VIEWER_TTL_SECONDS, time.now),
    elapse: time.elapse,
    async close() {},
  };
}

async function redisHarness(): Promise<Harness> {
  const redis = await testRedis();
  const time = clock();
  return {
    history: new RedisCheckHistoryStore(redis.client),
    viewers: new RedisHomeViewerStore(redis.client, VIEWER_TTL_SECONDS, time.now),
    elapse: time.elapse,
    close: () => redis.cleanup(),
  };
}

let cluster: RedisTopology;
beforeAll(async () => {
  cluster = await startCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

/** The app's own `connectRedis` on a Redis Cluster, where a multi-key read must stay in one slot. */
async function clusterHarness(): Promise<Harness> {
  const owner = await testRedis();
  const client = connectRedis(cluster.url, { keyPrefix: owner.prefix });
  await waitForRedis(client, 10_000);
  const time = clock();
  return {
    history: new RedisCheckHistoryStore(client),
    viewers: new RedisHomeViewerStore(client, VIEWER_TTL_SECONDS, time.now),
    elapse: time.elapse,
    async close() {
      await client.quit().catch(() => client.disconnect());
      await owner.cleanup();
    },
  };
}

function check(minute: number, ok = true) {
  return { at: new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString(), ok };
}

function viewer(userId: string, overrides: Partial<HomeViewer> = {}): HomeViewer {
  return {
    userId,
    channelId: `D${userId}`,
    page: 0,
    openedAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

describe.each([
  ['memory', memoryHarness],
  ['redis', redisHarness],
  ['Redis Cluster', clusterHarness],
])('%s', (_label, makeHarness) => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await makeHarness();
  });
  afterEach(async () => {
    await harness.close();
  });

  describe('check history', () => {
    it('returns the checks appended, oldest first', async () => {
      await harness.history.append('T1', 'a-bucket', check(1));
      await harness.history.append('T1', 'a-bucket', check(2, false));

      const histories = await harness.history.recent('T1', ['a-bucket']);

      expect(histories.get('a-bucket')).toEqual([check(1), check(2, false)]);
    });

    it(`keeps only the newest ${CHECK_HISTORY_MAX_ENTRIES}`, async () => {
      for (let minute = 0; minute < CHECK_HISTORY_MAX_ENTRIES + 6; minute += 1) {
        await harness.history.append('T1', 'a-bucket', check(minute, minute % 2 === 0));
      }

      const kept = (await harness.history.recent('T1', ['a-bucket'])).get('a-bucket') ?? [];

      expect(kept).toHaveLength(CHECK_HISTORY_MAX_ENTRIES);
      expect(kept[0]).toEqual(check(6, true));
      expect(kept.at(-1)).toEqual(check(CHECK_HISTORY_MAX_ENTRIES + 5, false));
    });

    it('orders checks that were appended out of order by when they ran', async () => {
      await harness.history.append('T1', 'a-bucket', check(5));
      await harness.history.append('T1', 'a-bucket', check(3, false));

      const histories = await harness.history.recent('T1', ['a-bucket']);

      expect(histories.get('a-bucket')).toEqual([check(3, false), check(5)]);
    });

    it('answers many buckets at once, an empty history for a bucket without one', async () => {
      await harness.history.append('T1', 'a-bucket', check(1));
      await harness.history.append('T1', 'b-bucket', check(2, false));

      const histories = await harness.history.recent('T1', ['a-bucket', 'b-bucket', 'c-bucket']);

      expect(Object.fromEntries(histories)).toEqual({
        'a-bucket': [check(1)],
        'b-bucket': [check(2, false)],
        'c-bucket': [],
      });
      expect((await harness.history.recent('T1', [])).size).toBe(0);
    });

    it('keeps teams apart', async () => {
      await harness.history.append('T1', 'a-bucket', check(1));

      expect((await harness.history.recent('T2', ['a-bucket'])).get('a-bucket')).toEqual([]);
    });

    it('starts a bucket’s history anew with one check, leaving the others', async () => {
      await harness.history.append('T1', 'a-bucket', check(1));
      await harness.history.append('T1', 'a-bucket', check(2, false));
      await harness.history.append('T1', 'b-bucket', check(1));

      await harness.history.append('T1', 'a-bucket', check(3), true);

      const histories = await harness.history.recent('T1', ['a-bucket', 'b-bucket']);
      expect(histories.get('a-bucket')).toEqual([check(3)]);
      expect(histories.get('b-bucket')).toEqual([check(1)]);
    });

    it('forgets a bucket’s history when cleared', async () => {
      await harness.history.append('T1', 'a-bucket', check(1));
      await harness.history.append('T1', 'b-bucket', check(1));

      await harness.history.clear('T1', 'a-bucket');

      const histories = await harness.history.recent('T1', ['a-bucket', 'b-bucket']);
      expect(histories.get('a-bucket')).toEqual([]);
      expect(histories.get('b-bucket')).toEqual([check(1)]);
    });
  });

  describe('App Home viewers', () => {
    it('remembers who opened the App Home, most recent first', async () => {
      await harness.viewers.opened('T1', viewer('U1'));
      harness.elapse(1000);
      await harness.viewers.opened('T1', viewer('U2', { page: 2 }));

      expect(await harness.viewers.recent('T1', 10)).toEqual([
        viewer('U2', { page: 2 }),
        viewer('U1'),
      ]);
      expect(await harness.viewers.get('T1', 'U1')).toEqual(viewer('U1'));
      expect(await harness.viewers.recent('T2', 10)).toEqual([]);
    });

    it('answers at most `limit` viewers, the latest', async () => {
      for (const userId of ['U1', 'U2', 'U3']) {
        await harness.viewers.opened('T1', viewer(userId));
        harness.elapse(1000);
      }

      const recent = await harness.viewers.recent('T1', 2);

      expect(recent.map((v) => v.userId)).toEqual(['U3', 'U2']);
    });

    it('forgets a viewer once the TTL has passed since they last opened it', async () => {
      await harness.viewers.opened('T1', viewer('U1'));
      harness.elapse(VIEWER_TTL_SECONDS * 1000 - 1000);
      await harness.viewers.opened('T1', viewer('U2'));
      harness.elapse(1000);

      expect((await harness.viewers.recent('T1', 10)).map((v) => v.userId)).toEqual(['U2']);
    });

    it('keeps a published view’s hash without renewing the viewer', async () => {
      await harness.viewers.opened('T1', viewer('U1'));
      harness.elapse(1000);

      await harness.viewers.published('T1', viewer('U1', { hash: 'h2', builtAt: 'b' }));

      expect(await harness.viewers.get('T1', 'U1')).toEqual(
        viewer('U1', { hash: 'h2', builtAt: 'b' }),
      );
      harness.elapse(VIEWER_TTL_SECONDS * 1000 - 1000);
      expect(await harness.viewers.recent('T1', 10)).toEqual([]);
    });

    it('does not bring back a viewer who was never remembered', async () => {
      await harness.viewers.published('T1', viewer('U1', { hash: 'h2' }));

      expect(await harness.viewers.get('T1', 'U1')).toBeUndefined();
      expect(await harness.viewers.recent('T1', 10)).toEqual([]);
    });
  });
});

describe('in Redis', () => {
  const redis = useTestRedis();

  it('keeps a destination’s history as a capped list in the team’s slot, expiring', async () => {
    const history = new RedisCheckHistoryStore(redis.client);

    await history.append('T123', 'acme-data-lake', check(1));

    expect(await redis.keys()).toEqual(['s3d:{T123}:history:acme-data-lake']);
    expect(historyKey('T123', 'acme-data-lake')).toBe('s3d:{T123}:history:acme-data-lake');
    expect(await redis.client.type(historyKey('T123', 'acme-data-lake'))).toBe('list');
    const ttl = await redis.client.ttl(historyKey('T123', 'acme-data-lake'));
    expect(ttl).toBeGreaterThan(CHECK_HISTORY_TTL_SECONDS - 5);
  });

  it('keeps viewers in the team’s slot, each expiring after the TTL', async () => {
    const viewers = new RedisHomeViewerStore(redis.client, VIEWER_TTL_SECONDS);

    await viewers.opened('T123', viewer('U1'));

    expect(await redis.keys()).toEqual(['s3d:{T123}:home:viewer:U1', 's3d:{T123}:home:viewers']);
    expect([homeViewerKey('T123', 'U1'), homeViewersKey('T123')]).toEqual([
      's3d:{T123}:home:viewer:U1',
      's3d:{T123}:home:viewers',
    ]);
    for (const key of await redis.keys()) {
      const ttl = await redis.client.ttl(key);
      expect(ttl).toBeGreaterThan(VIEWER_TTL_SECONDS - 5);
      expect(ttl).toBeLessThanOrEqual(VIEWER_TTL_SECONDS);
    }
  });

  it('skips a history entry that does not parse and tells about it', async () => {
    const corrupt: unknown[] = [];
    const history = new RedisCheckHistoryStore(redis.client, (error) => corrupt.push(error));
    await history.append('T1', 'a-bucket', check(1));
    await redis.client.lpush(historyKey('T1', 'a-bucket'), '{"not":"a check"}');

    expect((await history.recent('T1', ['a-bucket'])).get('a-bucket')).toEqual([check(1)]);
    expect(corrupt).toHaveLength(1);
  });
});
