import type { BucketSlice, DestinationStore, SavedDestination } from '../store/types';
import type { PagePosition } from './cursor';

export interface DestinationSlice {
  readonly destinations: SavedDestination[];
  /** Whether any destination comes after the last one returned. */
  readonly more: boolean;
}

/**
 * Up to `limit` destinations of every workspace strictly after `after`, by team then bucket (the
 * stores' own orders). Positions, not offsets: a destination added or removed meanwhile never
 * makes a page skip or repeat another.
 */
export async function destinationsAfter(
  store: Pick<DestinationStore, 'teams' | 'list' | 'listAfter'>,
  after: PagePosition | undefined,
  limit: number,
): Promise<DestinationSlice> {
  const found: SavedDestination[] = [];
  // One more than the page holds tells whether another page follows.
  const wanted = limit + 1;
  /** Adds the team's destinations after `from` until the page is full (true) or the team ends. */
  const fill = async (teamId: string, from: string | undefined): Promise<boolean> => {
    for (;;) {
      const need = wanted - found.length;
      const slice = store.listAfter
        ? await store.listAfter(teamId, from, need)
        : await everyAfter(store, teamId, from, need);
      found.push(...slice.destinations);
      if (found.length >= wanted) return true;
      // Fewer read than asked: the team has no bucket left (the rest were removed or corrupt).
      if (slice.examined < need) return false;
      from = slice.through;
    }
  };
  const full = (): DestinationSlice => ({ destinations: found.slice(0, limit), more: true });
  // The cursor names its team: most pages end inside it, without finding the teams (a SCAN).
  if (after && (await fill(after.teamId, after.bucket))) return full();
  for (const teamId of await store.teams()) {
    if (after && teamId <= after.teamId) continue;
    if (await fill(teamId, undefined)) return full();
  }
  return { destinations: found, more: false };
}

/** `listAfter` for a store without it, from the team's whole list. */
async function everyAfter(
  store: Pick<DestinationStore, 'list'>,
  teamId: string,
  after: string | undefined,
  limit: number,
): Promise<BucketSlice> {
  const destinations = (await store.list(teamId))
    .filter((destination) => after === undefined || destination.settings.bucket > after)
    .slice(0, limit);
  return {
    destinations,
    examined: destinations.length,
    through: destinations.at(-1)?.settings.bucket,
  };
}
