import { destinationsAfter } from '../../../src/api/pages';
import { MemoryDestinationStore, MemoryLockStore, type DestinationStore } from '../../../src/store';
import { savedDestination } from '../../support/fixtures';

test('a store without listAfter pages from its whole lists, by team then bucket', async () => {
  const store = new MemoryDestinationStore(new MemoryLockStore());
  for (const [team, bucket] of [
    ['T2', 'b-lake'],
    ['T1', 'c-lake'],
    ['T1', 'a-lake'],
    ['T2', 'a-lake'],
    ['T3', 'a-lake'],
  ]) {
    await store.save(savedDestination(team, bucket));
  }
  const seen: string[] = [];
  let after: { teamId: string; bucket: string } | undefined;
  for (;;) {
    const page = await destinationsAfter(store, after, 2);
    seen.push(...page.destinations.map((d) => `${d.teamId}/${d.settings.bucket}`));
    const last = page.destinations.at(-1);
    if (!page.more || !last) break;
    after = { teamId: last.teamId, bucket: last.settings.bucket };
  }
  expect(seen).toEqual(['T1/a-lake', 'T1/c-lake', 'T2/a-lake', 'T2/b-lake', 'T3/a-lake']);
});

test('a page that ends inside the cursor’s team does not look for the other teams', async () => {
  const store = new MemoryDestinationStore(new MemoryLockStore());
  for (const bucket of ['a-lake', 'b-lake', 'c-lake', 'd-lake']) {
    await store.save(savedDestination('T1', bucket));
  }
  await store.save(savedDestination('T2', 'a-lake'));
  let lookups = 0;
  const counting: Pick<DestinationStore, 'teams' | 'list'> = {
    list: (teamId) => store.list(teamId),
    teams: () => {
      lookups += 1;
      return store.teams();
    },
  };

  const inside = await destinationsAfter(counting, { teamId: 'T1', bucket: 'a-lake' }, 2);
  expect(lookups).toBe(0);
  const across = await destinationsAfter(counting, { teamId: 'T1', bucket: 'b-lake' }, 3);

  expect(inside.destinations.map((d) => d.settings.bucket)).toEqual(['b-lake', 'c-lake']);
  expect(across.destinations.map((d) => `${d.teamId}/${d.settings.bucket}`)).toEqual([
    'T1/c-lake',
    'T1/d-lake',
    'T2/a-lake',
  ]);
  expect(lookups).toBe(1);
});
