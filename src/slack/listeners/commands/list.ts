import type { Deps } from '../../../deps-types';
import type { CommandArgs } from '../../command-args';
import { describeFailure } from '../../user-errors';
import { destinationListPage } from '../../workflows/destination-list-page';

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
