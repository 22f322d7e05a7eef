import {
  createMemoryStores,
  MemoryDestinationStore,
  MemoryLockStore,
  MemorySessionStore,
} from '../../../src/store';
import { savedDestination, setupSession } from '../../support/fixtures';

describe('in-memory stores', () => {
  it('keeps its own copy of a session: changing the one put or the one read changes nothing', async () => {
    const sessions = new MemorySessionStore(60);
    const session = setupSession();
    await sessions.put(session);

    session.settings.bucket = 'changed-after-put';
    const read = await sessions.get('T1', 'S1');
    read!.settings.bucket = 'changed-after-get';

    expect((await sessions.get('T1', 'S1'))?.settings.bucket).toBe('acme-data-lake');
  });

  it('keeps its own copy of a destination, in get and in list', async () => {
    const destinations = new MemoryDestinationStore();
    const destination = savedDestination('T1', 'acme-data-lake');
    await destinations.save(destination);

    destination.lastCheck.ok = false;
    (await destinations.get('T1', 'acme-data-lake'))!.lastCheck.summary = 'changed';
    (await destinations.list('T1'))[0].channelId = 'changed';

    expect(await destinations.get('T1', 'acme-data-lake')).toEqual({
      ...savedDestination('T1', 'acme-data-lake'),
      version: 1,
    });
  });

  it('forgets expired sessions when another is put, even if nobody reads them', async () => {
    let now = 0;
    const sessions = new MemorySessionStore(60, () => now);
    await sessions.put(setupSession({ id: 'old' }));
    now = 60_000;

    await sessions.put(setupSession({ id: 'new' }));

    expect((sessions as unknown as { sessions: Map<string, unknown> }).sessions.size).toBe(1);
  });

  it('holds a lock until its TTL has fully passed', async () => {
    let now = 0;
    const locks = new MemoryLockStore(() => now);
    await locks.acquire('lock', 1000);

    now = 999;
    expect(await locks.acquire('lock', 1000)).toBeUndefined();
    now = 1000;
    expect(await locks.acquire('lock', 1000)).toEqual(expect.any(String));
  });

  it('builds a full set of stores, healthy and of kind memory', async () => {
    const stores = createMemoryStores(60);

    await stores.sessions.put(setupSession());

    expect(await stores.sessions.get('T1', 'S1')).toEqual(setupSession());
    expect(stores.health.kind).toBe('memory');
    expect(await stores.health.ping()).toBe(true);
  });
});
