import { CorruptValueError } from '../../src/errors';
import {
  createRedisStores,
  destinationKey,
  destinationOrderKey,
  destinationsKey,
  RedisDestinationStore,
  sessionKey,
  destinationVersionKey,
  verifyLockKey,
  type SavedDestination,
  type Stores,
} from '../../src/store';
import { RECORD_SCRIPT, REMOVE_SCRIPT, SAVE_SCRIPT } from '../../src/store/destination-scripts';
import { LuaScript } from '../../src/store/lua-script';
import { useTestRedis, type TestRedis } from '../support/redis';
import { savedDestination, setupSession } from '../support/fixtures';

describe('Redis stores, as Redis sees them', () => {
  const redis = useTestRedis();
  let stores: Stores;

  beforeAll(() => {
    stores = createRedisStores(redis.client, 3600);
  });

  it('writes keys of the documented shapes, with the team in a hash tag', async () => {
    await stores.sessions.put(setupSession({ teamId: 'T123', id: 'S9' }));
    await stores.destinations.save(savedDestination('T123', 'acme-data-lake'));
    await stores.locks.acquire(verifyLockKey('T123', 'S9'), 60_000);

    expect(await redis.keys()).toEqual([
      's3d:{T123}:destination-version',
      's3d:{T123}:destination:acme-data-lake',
      's3d:{T123}:destinations',
      's3d:{T123}:destinations-by-bucket',
      's3d:{T123}:destinations-by-bucket:version',
      's3d:{T123}:lock:verify:S9',
      's3d:{T123}:session:S9',
    ]);
    expect(await redis.client.type('s3d:{T123}:destinations')).toBe('set');
    expect(await redis.client.smembers('s3d:{T123}:destinations')).toEqual(['acme-data-lake']);
    expect(await redis.client.zrange('s3d:{T123}:destinations-by-bucket', '0', '-1')).toEqual([
      'acme-data-lake',
    ]);
    expect(await stores.destinations.teams()).toEqual(['T123']);
  });

  it('stores sessions and destinations as JSON, destinations without a TTL', async () => {
    const session = setupSession();
    const destination = savedDestination();
    await stores.sessions.put(session);
    await stores.destinations.save(destination);

    const storedSession = await redis.client.get(sessionKey('T1', 'S1'));
    const storedDestination = await redis.client.get(destinationKey('T1', 'acme-data-lake'));

    expect(JSON.parse(storedSession ?? '')).toEqual(session);
    expect(JSON.parse(storedDestination ?? '')).toEqual({ ...destination, version: 1 });
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

  it('pages a team saved before its sorted buckets existed, and what an older replica changed', async () => {
    const bucketsAfter = async (after?: string) =>
      (await stores.destinations.listAfter?.('T1', after, 10))?.destinations.map(
        (d) => d.settings.bucket,
      );
    // An older replica numbers the save, writes the value and the set, as saves did before.
    const saveAsBefore = async (bucket: string) => {
      const version = await redis.client.incr(destinationVersionKey('T1'));
      await redis.client.set(
        destinationKey('T1', bucket),
        JSON.stringify({ ...savedDestination('T1', bucket), version }),
      );
      await redis.client.sadd(destinationsKey('T1'), bucket);
    };
    for (const bucket of ['d-bucket', 'b-bucket', 'a-bucket']) await saveAsBefore(bucket);

    expect(await bucketsAfter()).toEqual(['a-bucket', 'b-bucket', 'd-bucket']);
    await saveAsBefore('c-bucket');
    await stores.destinations.save(savedDestination('T1', 'e-bucket'));
    await redis.client.srem(destinationsKey('T1'), 'a-bucket');
    await redis.client.del(destinationKey('T1', 'a-bucket'));

    expect(await bucketsAfter()).toEqual(['b-bucket', 'c-bucket', 'd-bucket', 'e-bucket']);
    expect(await bucketsAfter('c-bucket')).toEqual(['d-bucket', 'e-bucket']);
    expect(await redis.client.zrange(destinationOrderKey('T1'), '0', '-1')).toEqual([
      'b-bucket',
      'c-bucket',
      'd-bucket',
      'e-bucket',
    ]);
  });

  it('lists a team among the teams exactly while it has a destination, from its own keys', async () => {
    await stores.destinations.save(savedDestination('T1', 'a-bucket'));
    await stores.destinations.save(savedDestination('T1', 'b-bucket'));
    await stores.destinations.save(savedDestination('T2', 'a-bucket'));

    await stores.destinations.remove('T1', 'a-bucket');
    expect(await stores.destinations.teams()).toEqual(['T1', 'T2']);
    await stores.destinations.remove('T1', 'b-bucket');

    expect(await stores.destinations.teams()).toEqual(['T2']);
    // No registry outside the team's slot: the version counter is all T1 leaves behind.
    expect((await redis.keys()).filter((key) => key.includes('{T1}'))).toEqual([
      destinationVersionKey('T1'),
    ]);
  });

  it.each([
    ['save', (store: RedisDestinationStore) => store.save(savedDestination('T1', 'a-bucket'))],
    ['remove', (store: RedisDestinationStore) => store.remove('T1', 'a-bucket')],
    [
      'record',
      (store: RedisDestinationStore) =>
        store.record('T1', 'a-bucket', 1, { lastCheck: { at: 'x', ok: false, summary: 'y' } }),
    ],
  ])('sends a %s as one command, so no failure can leave it half done', async (_name, act) => {
    await stores.destinations.save(savedDestination('T1', 'a-bucket'));
    for (const script of [SAVE_SCRIPT, RECORD_SCRIPT, REMOVE_SCRIPT]) {
      await redis.client.script('LOAD', script.source);
    }
    const { client, sent } = counting(redis.client);

    await act(new RedisDestinationStore(client));

    expect(sent).toEqual(['evalsha']);
  });

  it('sends a script by SHA1, and its text only when Redis does not have it', async () => {
    // A script of this test's own: other test files running meanwhile never load it.
    const script = new LuaScript(
      `-- ${redis.prefix}\nreturn redis.call('incr', KEYS[1]) + ARGV[1]`,
    );
    const { client, sent } = counting(redis.client);

    expect(await script.run(client, ['n'], [10])).toBe(11);
    expect(await script.run(client, ['n'], [10])).toBe(12);
    await redis.client.script('FLUSH');
    expect(await script.run(client, ['n'], [10])).toBe(13);

    expect(sent).toEqual(['evalsha', 'eval', 'evalsha', 'evalsha', 'eval']);
    // The client's key prefix applies to the keys of EVALSHA as to those of EVAL.
    expect(await redis.keys()).toEqual(['n']);
  });

  it('keeps saving and locking after Redis forgot its scripts', async () => {
    await stores.destinations.save(savedDestination('T1', 'a-bucket'));
    const token = await stores.locks.acquire('a-lock', 60_000);
    await redis.client.script('FLUSH');

    const saved = await stores.destinations.save(savedDestination('T1', 'a-bucket'));
    expect(saved).toMatchObject({ status: 'saved', destination: { version: 2 } });
    expect(await stores.locks.extend('a-lock', token!, 60_000)).toBe(true);
    await stores.locks.release('a-lock', token!);

    expect(await redis.keys()).not.toContain('a-lock');
    expect(await redis.client.script('EXISTS', SAVE_SCRIPT.sha1)).toEqual([1]);
  });
});

/** `client` with every method it is called by recorded in `sent`. */
function counting(client: TestRedis['client']) {
  const sent: string[] = [];
  const proxy = new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        sent.push(String(property));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { client: proxy, sent };
}
