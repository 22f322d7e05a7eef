import type { Deps } from '../../deps-types';
import { RECENT_ACTIVITY, buildDestinationList } from '../views/destination-list';

/** The list message for one page: the workspace's destinations and its latest audit entries. */
export async function destinationListPage(deps: Deps, teamId: string, page: number) {
  const [destinations, recent] = await Promise.all([
    deps.stores.destinations.list(teamId),
    // The trail is history: a failure to read it never hides the destinations.
    deps.stores.audit.recent(teamId, RECENT_ACTIVITY).catch(() => []),
  ]);
  return buildDestinationList(destinations, recent, page);
}
