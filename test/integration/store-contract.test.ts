import { setTimeout as sleep } from 'node:timers/promises';
import {
  connectRedis,
  createRedisStores,
  waitForRedis,
  AUDIT_MAX_ENTRIES,
  MemoryAuditStore,
  MemoryCheckHistoryStore,
  MemoryDestinationStore,
  MemoryHealth,
  MemoryHomeViewerStore,
  MemoryLockStore,
  MemorySessionStore,
  sessionKey,
  verifyLockKey,
  type SetupSession,
  type Stores,
} from '../../src/store';
import { destinationsAfter } from '../../src/api/pages';
import type { PagePosition } from '../../src/api/cursor';
import { testRedis } from '../support/redis';
import { startCluster, startSentinel, type RedisTopology } from '../support/redis-topologies';
import { savedDestination, setupSession } from '../support/fixtures';

const TTL_SECONDS = 3600;

/** One backend under test, with the few things only it can do. */
interface Harness {
  readonly stores: Stores;
  /** Asserts that a session just put lives for exactly the session TTL. */
  expectSessionTtl(session: SetupSession): Promise<void>;
  /** Lets `ms` pass, as lock TTLs see it. */
  elapse(ms: number): Promise<void>;
  close(): Promise<void>;
}

async function memoryHarness(): Promise<Harness> {
  let now = Date.parse('2025-01-01T00:00:00Z');
  const clock = () => now;
  const locks = new MemoryLockStore(clock);
  const history = new MemoryCheckHistoryStore();
  const stores: Stores = {
    sessions: new MemorySessionStore(TTL_SECONDS, clock),
    destinations: new MemoryDestinationStore(locks, history),
    locks,
    audit: new MemoryAuditStore(),
    history,
    homeViewers: new MemoryHomeViewerStore(3600, clock),
    health: new MemoryHealth(),
  };
  return {
    stores,
    async expectSessionTtl(session) {
      now += TTL_SECONDS * 1000 - 1;
      expect(await stores.sessions.get(session.teamId, session.id)).toBeDefined();
      now += 1;
      expect(await stores.sessions.get(session.teamId, session.id)).toBeUndefined();
    },
    async elapse(ms) {
      now += ms;
    },
    async close() {},
  };
}

async function redisHarness(): Promise<Harness> {
  const redis = await testRedis();
  return {
    stores: createRedisStores(redis.client, TTL_SECONDS),
    async expectSessionTtl(session) {
      // Asserting the TTL Redis holds instead of sleeping through it.
      const pttl = await redis.client.pttl(sessionKey(session.teamId, session.id));
      expect(pttl).toBeGreaterThan((TTL_SECONDS - 5) * 1000);
      expect(pttl).toBeLessThanOrEqual(TTL_SECONDS * 1000);
    },
    async elapse(ms) {
      await sleep(ms + 20);
    },
    close: () => redis.cleanup(),
  };
}

/** Redis through another topology: the app's own `connectRedis` on REDIS_URL-style `url`. */
function topologyHarness(url: () => string) {
  return async (): Promise<Harness> => {
    // testRedis() lends its unique prefix and cleans up what the topology client writes.
    const owner = await testRedis();
    const client = connectRedis(url(), { keyPrefix: owner.prefix });
    await waitForRedis(client, 10_000);
    return {
      stores: createRedisStores(client, TTL_SECONDS),
      async expectSessionTtl(session) {
        const pttl = await client.pttl(sessionKey(session.teamId, session.id));
        expect(pttl).toBeGreaterThan((TTL_SECONDS - 5) * 1000);
        expect(pttl).toBeLessThanOrEqual(TTL_SECONDS * 1000);
      },
      async elapse(ms) {
        await sleep(ms + 20);
      },
      async close() {
        await client.quit().catch(() => client.disconnect());
        await owner.cleanup();
      },
    };
  };
}

let sentinel: RedisTopology;
let cluster: RedisTopology;
beforeAll(async () => {
  [sentinel, cluster] = await Promise.all([startSentinel(), startCluster()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([sentinel?.stop(), cluster?.stop()]);
});

describe.each([
  ['memory', 'memory', memoryHarness],
  ['redis', 'redis', redisHarness],
  ['redis via Sentinel', 'redis', topologyHarness(() => sentinel.url)],
  ['Redis Cluster', 'redis', topologyHarness(() => cluster.url)],
])('%s stores', (_label, kind, makeHarness) => {
  let harness: Harness;
  let stores: Stores;

  beforeEach(async () => {
    harness = await makeHarness();
    stores = harness.stores;
  });
  afterEach(async () => {
    await harness.close();
  });

  describe('sessions', () => {
    it('returns the session that was put', async () => {
      const session = setupSession();

      await stores.sessions.put(session);

      expect(await stores.sessions.get('T1', 'S1')).toEqual(session);
    });

    it('returns undefined for a session never put', async () => {
      expect(await stores.sessions.get('T1', 'missing')).toBeUndefined();
    });

    it('replaces a session put again under the same id', async () => {
      await stores.sessions.put(setupSession());

      await stores.sessions.put(setupSession({ savedAt: '2025-01-01T00:05:00.000Z' }));

      expect(await stores.sessions.get('T1', 'S1')).toMatchObject({
        savedAt: '2025-01-01T00:05:00.000Z',
      });
    });

    it('forgets a deleted session, and deleting again is harmless', async () => {
      await stores.sessions.put(setupSession());

      await stores.sessions.delete('T1', 'S1');
      await stores.sessions.delete('T1', 'S1');

      expect(await stores.sessions.get('T1', 'S1')).toBeUndefined();
    });

    it('keeps a session for the session TTL and no longer', async () => {
      const session = setupSession();

      await stores.sessions.put(session);

      await harness.expectSessionTtl(session);
    });

    it('does not show one team the session of another', async () => {
      await stores.sessions.put(setupSession({ teamId: 'TA', id: 'S1' }));

      expect(await stores.sessions.get('TB', 'S1')).toBeUndefined();
      await stores.sessions.delete('TB', 'S1');
      expect(await stores.sessions.get('TA', 'S1')).toBeDefined();
    });

    it('refuses a team id that would break the key hash tag', async () => {
      await expect(stores.sessions.get('T{1}', 'S1')).rejects.toThrow(/team id/);
      await expect(stores.sessions.put(setupSession({ teamId: 'T}' }))).rejects.toThrow(/team id/);
    });
  });

  describe('destinations', () => {
    it('returns the destination that was saved', async () => {
      const destination = savedDestination('T1', 'acme-data-lake');

      const saved = await stores.destinations.save(destination);

      expect(saved).toEqual({
        status: 'saved',
        destination: { ...destination, version: 1 },
        change: { type: 'destination.connected', id: expect.any(String), at: expect.any(String) },
      });
      expect(await stores.destinations.get('T1', 'acme-data-lake')).toEqual({
        ...destination,
        version: 1,
      });
    });

    it('returns undefined for a bucket never saved', async () => {
      expect(await stores.destinations.get('T1', 'missing-bucket')).toBeUndefined();
    });

    it('lists a team’s destinations sorted by bucket', async () => {
      for (const bucket of ['zeta-bucket', 'alpha-bucket', 'mid.bucket']) {
        await stores.destinations.save(savedDestination('T1', bucket));
      }

      const listed = await stores.destinations.list('T1');

      expect(listed.map((d) => d.settings.bucket)).toEqual([
        'alpha-bucket',
        'mid.bucket',
        'zeta-bucket',
      ]);
      expect(listed[0]).toEqual({ ...savedDestination('T1', 'alpha-bucket'), version: 2 });
    });

    it('lists nothing for a team without destinations', async () => {
      expect(await stores.destinations.list('T1')).toEqual([]);
    });

    it('keeps one entry, the latest, when the same bucket is saved twice', async () => {
      await stores.destinations.save(savedDestination('T1', 'acme-data-lake'));
      const again = {
        ...savedDestination('T1', 'acme-data-lake'),
        verifiedAt: '2025-02-02T00:00:00.000Z',
      };

      const saved = await stores.destinations.save(again);

      expect(saved).toEqual({
        status: 'saved',
        destination: { ...again, version: 2 },
        previous: { ...savedDestination('T1', 'acme-data-lake'), version: 1 },
        change: { type: 'destination.updated', id: expect.any(String), at: expect.any(String) },
      });
      expect(await stores.destinations.list('T1')).toEqual([{ ...again, version: 2 }]);
      expect(await stores.destinations.teams()).toEqual(['T1']);
    });

    it('removes a destination once, saying what it removed, then nothing', async () => {
      await stores.destinations.save(savedDestination('T1', 'acme-data-lake'));
      await stores.destinations.save(savedDestination('T1', 'other-bucket'));

      expect(await stores.destinations.remove('T1', 'acme-data-lake')).toEqual({
        removed: true,
        previous: { ...savedDestination('T1', 'acme-data-lake'), version: 1 },
        change: { type: 'destination.removed', id: expect.any(String), at: expect.any(String) },
      });
      expect(await stores.destinations.remove('T1', 'acme-data-lake')).toEqual({ removed: false });

      expect(await stores.destinations.get('T1', 'acme-data-lake')).toBeUndefined();
      expect((await stores.destinations.list('T1')).map((d) => d.settings.bucket)).toEqual([
        'other-bucket',
      ]);
    });

    it('does not show or remove one team’s destination for another', async () => {
      await stores.destinations.save(savedDestination('TA', 'acme-data-lake'));

      expect(await stores.destinations.get('TB', 'acme-data-lake')).toBeUndefined();
      expect(await stores.destinations.list('TB')).toEqual([]);
      expect(await stores.destinations.remove('TB', 'acme-data-lake')).toEqual({ removed: false });
      expect(await stores.destinations.get('TA', 'acme-data-lake')).toBeDefined();
    });

    it('counts a team’s destinations: each bucket once, a removed one no more', async () => {
      await stores.destinations.save(savedDestination('TA', 'a-bucket'));
      await stores.destinations.save(savedDestination('TA', 'another-bucket'));
      await stores.destinations.save(savedDestination('TA', 'a-bucket'));
      await stores.destinations.save(savedDestination('TB', 'b-bucket'));

      expect(await stores.destinations.count('TA')).toBe(2);
      await stores.destinations.remove('TA', 'a-bucket');

      expect(await stores.destinations.count('TA')).toBe(1);
      expect(await stores.destinations.count('TB')).toBe(1);
      expect(await stores.destinations.count('TC')).toBe(0);
    });

    it('lists the teams that have destinations, sorted', async () => {
      await stores.destinations.save(savedDestination('TB', 'b-bucket'));
      await stores.destinations.save(savedDestination('TA', 'a-bucket'));
      await stores.destinations.save(savedDestination('TA', 'another-bucket'));

      expect(await stores.destinations.teams()).toEqual(['TA', 'TB']);
    });

    it('drops a team from the teams once its last destination is removed', async () => {
      await stores.destinations.save(savedDestination('TA', 'a-bucket'));
      await stores.destinations.save(savedDestination('TA', 'another-bucket'));
      await stores.destinations.save(savedDestination('TB', 'b-bucket'));

      await stores.destinations.remove('TA', 'a-bucket');
      expect(await stores.destinations.teams()).toEqual(['TA', 'TB']);
      await stores.destinations.remove('TA', 'another-bucket');

      expect(await stores.destinations.teams()).toEqual(['TB']);
    });

    it('pages every team by position: changes between pages neither skip nor repeat the others', async () => {
      for (const [teamId, bucket] of [
        ['TB', 'b1'],
        ['TA', 'a2'],
        ['TA', 'a1'],
        ['TC', 'c1'],
        ['TA', 'a3'],
        ['TB', 'b2'],
      ]) {
        await stores.destinations.save(savedDestination(teamId, bucket));
      }
      const page = async (after: PagePosition | undefined) => {
        const slice = await destinationsAfter(stores.destinations, after, 2);
        const names = slice.destinations.map((d) => `${d.teamId}/${d.settings.bucket}`);
        return { names, more: slice.more };
      };

      const first = await page(undefined);
      await stores.destinations.remove('TA', 'a1');
      await stores.destinations.remove('TA', 'a3');
      await stores.destinations.save(savedDestination('TA', 'a4'));
      await stores.destinations.remove('TB', 'b1');
      await stores.destinations.save(savedDestination('TB', 'b0'));
      const second = await page({ teamId: 'TA', bucket: 'a2' });
      // The cursor's team is gone altogether: the page goes on with the next team.
      await stores.destinations.remove('TB', 'b0');
      await stores.destinations.remove('TB', 'b2');
      const third = await page({ teamId: 'TB', bucket: 'b0' });

      expect(first).toEqual({ names: ['TA/a1', 'TA/a2'], more: true });
      expect(second).toEqual({ names: ['TA/a4', 'TB/b0'], more: true });
      expect(third).toEqual({ names: ['TC/c1'], more: false });
    });

    it('never reuses a version, even for a bucket removed and saved again', async () => {
      const first = await stores.destinations.save(savedDestination('T1', 'acme-data-lake'));
      await stores.destinations.remove('T1', 'acme-data-lake');
      const second = await stores.destinations.save(savedDestination('T1', 'acme-data-lake'));

      expect(first.status === 'saved' && first.destination.version).toBe(1);
      expect(second.status === 'saved' && second.destination.version).toBe(2);
    });
  });

  describe('check records (compare-and-set)', () => {
    const failing = {
      at: '2025-01-01T01:00:00.000Z',
      ok: false,
      summary: 'Failed: Challenge file',
    };

    async function saveOne(): Promise<number> {
      const saved = await stores.destinations.save(savedDestination('T1', 'acme-data-lake'));
      if (saved.status !== 'saved') throw new Error('not saved');
      return saved.destination.version;
    }

    it('records on the version it checked, and clears a field given as null', async () => {
      const version = await saveOne();
      await stores.destinations.record('T1', 'acme-data-lake', version, {
        channelUnreachable: { since: 'x', error: 'is_archived' },
      });

      const outcome = await stores.destinations.record('T1', 'acme-data-lake', version, {
        lastCheck: failing,
        ownerId: 'owner-1',
        channelUnreachable: null,
      });

      expect(outcome).toEqual({
        outcome: 'recorded',
        change: expect.objectContaining({ type: 'destination.failing' }),
      });
      const current = await stores.destinations.get('T1', 'acme-data-lake');
      expect(current).toMatchObject({ version, lastCheck: failing, ownerId: 'owner-1' });
      expect(current).not.toHaveProperty('channelUnreachable');
      expect(current?.settings).toEqual(savedDestination().settings);
    });

    it('records nothing on a destination removed meanwhile, and does not bring it back', async () => {
      const version = await saveOne();
      await stores.destinations.remove('T1', 'acme-data-lake');

      expect(
        await stores.destinations.record('T1', 'acme-data-lake', version, { lastCheck: failing }),
      ).toEqual({ outcome: 'removed' });
      expect(await stores.destinations.get('T1', 'acme-data-lake')).toBeUndefined();
      expect(await stores.destinations.teams()).toEqual([]);
    });

    it('records nothing on a destination set up again meanwhile', async () => {
      const old = await saveOne();
      const newer = await saveOne();

      expect(
        await stores.destinations.record('T1', 'acme-data-lake', old, { lastCheck: failing }),
      ).toEqual({ outcome: 'changed' });
      expect(await stores.destinations.get('T1', 'acme-data-lake')).toMatchObject({
        version: newer,
        lastCheck: savedDestination().lastCheck,
      });
    });

    it('keeps the result of the check that started last', async () => {
      const version = await saveOne();
      const later = { at: '2025-01-01T02:00:00.000Z', ok: true, summary: 'All checks passed' };
      await stores.destinations.record('T1', 'acme-data-lake', version, { lastCheck: later });

      expect(
        await stores.destinations.record('T1', 'acme-data-lake', version, { lastCheck: failing }),
      ).toEqual({ outcome: 'stale' });
      expect((await stores.destinations.get('T1', 'acme-data-lake'))?.lastCheck).toEqual(later);
    });

    it('adds a recorded check to the history in the same step, and a refused one not at all', async () => {
      const version = await saveOne();
      const later = { at: '2025-01-01T02:00:00.000Z', ok: true, summary: 'All checks passed' };
      await stores.destinations.record('T1', 'acme-data-lake', version, { lastCheck: later });
      await stores.destinations.record('T1', 'acme-data-lake', version, { lastCheck: failing });
      await stores.destinations.record('T1', 'acme-data-lake', version + 1, {
        lastCheck: { ...later, at: '2025-01-01T03:00:00.000Z' },
      });
      await stores.destinations.record('T1', 'acme-data-lake', version, { ownerId: 'owner-1' });

      const history = await stores.history.recent('T1', ['acme-data-lake']);
      expect(history.get('acme-data-lake')).toEqual([{ at: later.at, ok: true }]);
    });

    it('saves under a fence only while the fence still holds the lock', async () => {
      const lockKey = verifyLockKey('T1', 'S1');
      const stale = await stores.locks.acquire(lockKey, 100);
      await harness.elapse(100);
      const fresh = await stores.locks.acquire(lockKey, 60_000);

      const refused = await stores.destinations.save(savedDestination('T1', 'acme-data-lake'), {
        lockKey,
        token: stale!,
      });
      const accepted = await stores.destinations.save(savedDestination('T1', 'other-bucket'), {
        lockKey,
        token: fresh!,
      });

      expect(refused).toEqual({ status: 'fenced' });
      expect(accepted.status).toBe('saved');
      expect(await stores.destinations.get('T1', 'acme-data-lake')).toBeUndefined();
    });
  });

  describe('audit trail', () => {
    const entry = (n: number) => ({
      at: `2025-01-01T00:00:${String(n % 60).padStart(2, '0')}.000Z`,
      actor: 'U1',
      action: 'verify' as const,
      bucket: `bucket-${n}`,
      outcome: 'All checks passed',
    });

    it('gives the newest entries first, per workspace', async () => {
      for (const n of [1, 2, 3]) await stores.audit.append('T1', entry(n));
      await stores.audit.append('T2', entry(9));

      expect(await stores.audit.recent('T1', 2)).toEqual([entry(3), entry(2)]);
      expect(await stores.audit.recent('T2', 10)).toEqual([entry(9)]);
      expect(await stores.audit.recent('T3', 10)).toEqual([]);
    });

    it(`keeps at most ${AUDIT_MAX_ENTRIES} entries per workspace`, async () => {
      for (let n = 0; n < AUDIT_MAX_ENTRIES + 5; n += 1) await stores.audit.append('T1', entry(n));

      const all = await stores.audit.recent('T1', AUDIT_MAX_ENTRIES + 10);
      expect(all).toHaveLength(AUDIT_MAX_ENTRIES);
      expect(all[0]).toEqual(entry(AUDIT_MAX_ENTRIES + 4));
      expect(all.at(-1)).toEqual(entry(5));
    });
  });

  describe('locks', () => {
    const key = verifyLockKey('T1', 'S1');

    it('gives the lock to one holder at a time', async () => {
      const token = await stores.locks.acquire(key, 60_000);

      expect(token).toEqual(expect.any(String));
      expect(await stores.locks.acquire(key, 60_000)).toBeUndefined();
    });

    it('keeps the lock when released with another token', async () => {
      await stores.locks.acquire(key, 60_000);

      await stores.locks.release(key, 'not-the-token');

      expect(await stores.locks.acquire(key, 60_000)).toBeUndefined();
    });

    it('frees the lock when released with its token', async () => {
      const token = await stores.locks.acquire(key, 60_000);

      await stores.locks.release(key, token!);

      expect(await stores.locks.acquire(key, 60_000)).toEqual(expect.any(String));
    });

    it('frees the lock when its TTL passes, and the old token cannot free the new holder', async () => {
      const stale = await stores.locks.acquire(key, 100);
      await harness.elapse(100);

      const fresh = await stores.locks.acquire(key, 60_000);
      await stores.locks.release(key, stale!);

      expect(fresh).toEqual(expect.any(String));
      expect(fresh).not.toBe(stale);
      expect(await stores.locks.acquire(key, 60_000)).toBeUndefined();
    });

    it('extends the lock only for its holder', async () => {
      const token = await stores.locks.acquire(key, 100);

      expect(await stores.locks.extend(key, 'not-the-token', 60_000)).toBe(false);
      expect(await stores.locks.extend(key, token!, 60_000)).toBe(true);
      await harness.elapse(100);
      expect(await stores.locks.acquire(key, 60_000)).toBeUndefined();
    });

    it('keeps different keys apart', async () => {
      await stores.locks.acquire(verifyLockKey('T1', 'S1'), 60_000);

      expect(await stores.locks.acquire(verifyLockKey('T1', 'S2'), 60_000)).toEqual(
        expect.any(String),
      );
    });
  });

  describe('health', () => {
    it(`answers the ping and says it is ${kind}`, async () => {
      expect(stores.health.kind).toBe(kind);
      expect(await stores.health.ping()).toBe(true);
    });
  });
});
