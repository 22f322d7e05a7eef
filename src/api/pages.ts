import type { DestinationStore, SavedDestination } from '../store/types';
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
  store: Pick<DestinationStore, 'teams' | 'list'>,
  after: PagePosition | undefined,
  limit: number,
): Promise<DestinationSlice> {
  const teams = await store.teams();
  const found: SavedDestination[] = [];
  for (const teamId of teams) {
    if (after && teamId < after.teamId) continue;
    for (const destination of await store.list(teamId)) {
      if (after && teamId === after.teamId && destination.settings.bucket <= after.bucket) continue;
      if (found.length === limit) return { destinations: found, more: true };
      found.push(destination);
    }
  }
  return { destinations: found, more: false };
}
