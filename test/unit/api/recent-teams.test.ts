import { withRecentTeams } from '../../../src/api/routes';
import type { DestinationStore } from '../../../src/store/types';

/** A store that counts its team lookups and answers what `teams` holds now. */
function countingStore(teams: string[][], fail = false) {
  let calls = 0;
  const store: Pick<DestinationStore, 'teams' | 'list'> = {
    teams: async () => {
      calls += 1;
      if (fail && calls === 1) throw new Error('Redis is away');
      return teams[Math.min(calls - 1, teams.length - 1)];
    },
    list: async () => [],
  };
  return { store, calls: () => calls };
}

describe('withRecentTeams', () => {
  it('answers from the last lookup while it is fresh, and looks again once it is not', async () => {
    let now = 1000;
    const { store, calls } = countingStore([['T1'], ['T1', 'T2']]);
    const cached = withRecentTeams(store, 2000, () => now);

    expect(await cached.teams()).toEqual(['T1']);
    now += 1999;
    expect(await cached.teams()).toEqual(['T1']);
    expect(calls()).toBe(1);
    now += 1;
    expect(await cached.teams()).toEqual(['T1', 'T2']);
    expect(calls()).toBe(2);
  });

  it('keeps no failed lookup: the next page asks again', async () => {
    const { store, calls } = countingStore([['T1']], true);
    const cached = withRecentTeams(store, 60_000, () => 0);

    await expect(cached.teams()).rejects.toThrow('Redis is away');
    expect(await cached.teams()).toEqual(['T1']);
    expect(calls()).toBe(2);
  });
});
