import { destinationsAfter } from '../../../src/api/pages';
import { MemoryDestinationStore, MemoryLockStore } from '../../../src/store';
import { savedDestination } from '../store/fixtures';

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
