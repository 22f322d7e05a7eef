import type { Deps } from '../../../deps';
import { describeFailure } from '../../user-errors';
import { buildDestinationList } from '../../views/destination-list';
import type { CommandArgs } from './types';

/** `/s3-destination list`: this workspace's destinations, shown to the caller only. */
export async function list(deps: Deps, { command, ack, respond, log }: CommandArgs): Promise<void> {
  await ack();
  try {
    const destinations = await deps.stores.destinations.list(command.team_id);
    await respond({ response_type: 'ephemeral', ...buildDestinationList(destinations) });
  } catch (error) {
    log.error({ err: error }, 'list failed');
    await respond({ response_type: 'ephemeral', text: describeFailure(error, '') }).catch(
      () => undefined,
    );
  }
}
