import type { Deps } from '../../../deps-types';
import { describeFailure } from '../../user-errors';
import { RECENT_ACTIVITY, buildDestinationList } from '../../views/destination-list';
import type { CommandArgs } from './types';

/** The list message for one page: the workspace's destinations and its latest audit entries. */
export async function destinationListPage(deps: Deps, teamId: string, page: number) {
  const [destinations, recent] = await Promise.all([
    deps.stores.destinations.list(teamId),
    // The trail is history: a failure to read it never hides the destinations.
    deps.stores.audit.recent(teamId, RECENT_ACTIVITY).catch(() => []),
  ]);
  return buildDestinationList(destinations, recent, page);
}

/** `/s3-destination list`: this workspace's destinations, shown to the caller only. */
export async function list(deps: Deps, { command, ack, respond, log }: CommandArgs): Promise<void> {
  await ack();
  try {
    const message = await destinationListPage(deps, command.team_id, 0);
    await respond({ response_type: 'ephemeral', ...message });
  } catch (error) {
    log.error({ err: error }, 'list failed');
    await respond({ response_type: 'ephemeral', text: describeFailure(error, '') }).catch(
      () => undefined,
    );
  }
}
