import { CorruptValueError } from '../../src/errors';
import {
  createRedisStores,
  destinationKey,
  destinationsKey,
  RedisDestinationStore,
  sessionKey,
  TEAMS_KEY,
  verifyLockKey,
  type SavedDestination,
  type Stores,
} from '../../src/store';
import { testRedis, type TestRedis } from '../support/redis';
import { savedDestination, setupSession } from '../unit/store/fixtures';

describe('Redis stores, as Redis sees them', () => {
  let redis: TestRedis;
  let stores: Stores;

  beforeAll(async () => {
    redis = await testRedis();
    stores = createRedisStores(redis.client, 3600);
  });
  afterEach(async () => {
    await redis.flush();
  });
  afterAll(async () => {
    await redis.cleanup();
  });

  it('writes keys of the documented shapes, with the team in a hash tag', async () => {
    await stores.sessions.put(setupSession({ teamId: 'T123', id: 'S9' }));
    await stores.destinations.save(savedDestination('T123', 'acme-data-lake'));
    await stores.locks.acquire(verifyLockKey('T123', 'S9'), 60_000);

    expect(await redis.keys()).toEqual([
      's3d:teams',
      's3d:{T123}:destination:acme-data-lake',
      's3d:{T123}:destinations',
      's3d:{T123}:lock:verify:S9',
      's3d:{T123}:session:S9',
    ]);
    expect(await redis.client.type('s3d:{T123}:destinations')).toBe('set');
    expect(await redis.client.smembers('s3d:{T123}:destinations')).toEqual(['acme-data-lake']);
    expect(await redis.client.smembers('s3d:teams')).toEqual(['T123']);
  });

  it('stores sessions and destinations as JSON, destinations without a TTL', async () => {
    const session = setupSession();
    const destination = savedDestination();
    await stores.sessions.put(session);
    await stores.destinations.save(destination);

    const storedSession = await redis.client.get(sessionKey('T1', 'S1'));
    const storedDestination = await redis.client.get(destinationKey('T1', 'acme-data-lake'));

    expect(JSON.parse(storedSession ?? '')).toEqual(session);
    expect(JSON.parse(storedDestination ?? '')).toEqual(destination);
    expect(await redis.client.pttl(destinationKey('T1', 'acme-data-lake'))).toBe(-1);
  });

  it('gives a lock a PTTL no longer than asked for', async () => {
    await stores.locks.acquire(verifyLockKey('T1', 'S1'), 5000);

    const pttl = await redis.client.pttl(verifyLockKey('T1', 'S1'));

    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5000);
  });

  it.each([
    ['not JSON', '{"id": "S1", '],
    ['JSON of the wrong shape', JSON.stringify({ id: 'S1', teamId: 'T1' })],
  ])('reports a session that is %s as a CorruptValueError', async (_what, raw) => {
    await redis.client.set(sessionKey('T1', 'S1'), raw);

    const reading = stores.sessions.get('T1', 'S1');

    await expect(reading).rejects.toBeInstanceOf(CorruptValueError);
    await expect(reading).rejects.toMatchObject({ code: 'corrupt_value' });
  });

  it('reports a destination of the wrong shape as a CorruptValueError', async () => {
    const withoutLastCheck: Partial<SavedDestination> = savedDestination();
    delete withoutLastCheck.lastCheck;
    await redis.client.set(
      destinationKey('T1', 'acme-data-lake'),
      JSON.stringify(withoutLastCheck),
    );

    await expect(stores.destinations.get('T1', 'acme-data-lake')).rejects.toBeInstanceOf(
      CorruptValueError,
    );
  });

  it('reports a key holding another Redis type as a CorruptValueError', async () => {
    await redis.client.hset(sessionKey('T1', 'S1'), 'id', 'S1');

    await expect(stores.sessions.get('T1', 'S1')).rejects.toBeInstanceOf(CorruptValueError);
  });

  it('lists the valid destinations past a corrupt one and reports the corrupt one', async () => {
    const corrupt: CorruptValueError[] = [];
    const destinations = new RedisDestinationStore(redis.client, {
      onCorrupt: (error) => corrupt.push(error),
    });
    await destinations.save(savedDestination('T1', 'a-bucket'));
    await destinations.save(savedDestination('T1', 'b-bucket'));
    await destinations.save(savedDestination('T1', 'c-bucket'));
    await redis.client.set(destinationKey('T1', 'b-bucket'), 'not json');

    const listed = await destinations.list('T1');

    expect(listed.map((d) => d.settings.bucket)).toEqual(['a-bucket', 'c-bucket']);
    expect(corrupt).toHaveLength(1);
    expect(corrupt[0].message).toContain(destinationKey('T1', 'b-bucket'));
  });

  it('lists past a corrupt destination even without anyone to tell', async () => {
    await stores.destinations.save(savedDestination('T1', 'a-bucket'));
    await redis.client.set(destinationKey('T1', 'a-bucket'), '[]');

    expect(await stores.destinations.list('T1')).toEqual([]);
  });

  it('skips a bucket listed in the team set whose value is gone', async () => {
    await stores.destinations.save(savedDestination('T1', 'a-bucket'));
    await redis.client.sadd(destinationsKey('T1'), 'ghost-bucket');

    const listed = await stores.destinations.list('T1');

    expect(listed.map((d) => d.settings.bucket)).toEqual(['a-bucket']);
  });

  it('removes the team from the teams set only with its last destination', async () => {
    await stores.destinations.save(savedDestination('T1', 'a-bucket'));
    await stores.destinations.save(savedDestination('T1', 'b-bucket'));

    await stores.destinations.remove('T1', 'a-bucket');
    expect(await redis.client.sismember(TEAMS_KEY, 'T1')).toBe(1);
    await stores.destinations.remove('T1', 'b-bucket');

    expect(await redis.client.sismember(TEAMS_KEY, 'T1')).toBe(0);
    expect(await redis.keys()).toEqual([]);
  });

  it('keeps a team on the teams set when a save races the removal of its last destination', async () => {
    await stores.destinations.save(savedDestination('T1', 'a-bucket'));
    // The remove sees the team's set empty; before it takes the team off the teams set, another
    // replica saves a new bucket (and finds the team already on the set).
    const racing = new Proxy(redis.client, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property !== 'srem') return typeof value === 'function' ? value.bind(target) : value;
        return async (key: string, member: string) => {
          if (key === TEAMS_KEY) await stores.destinations.save(savedDestination('T1', 'b-bucket'));
          return target.srem(key, member);
        };
      },
    });

    await new RedisDestinationStore(racing).remove('T1', 'a-bucket');

    expect(await stores.destinations.teams()).toEqual(['T1']);
  });
});
