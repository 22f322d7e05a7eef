import type { Deps } from '../../../deps-types';
import type { CommandArgs } from '../../command-args';
import { guardCommand } from '../../command-guard';
import { describeFailure } from '../../user-errors';
import { buildRemoveConfirmation } from '../../views/remove-confirmation';
import { noSuchDestination } from '../../views/bucket-replies';

/** `/s3-destination remove <bucket>`: asks for confirmation; the buttons do the removing. */
export async function remove(deps: Deps, args: CommandArgs, bucket: string): Promise<void> {
  const { command, ack, respond, log } = args;
  const rule = {
    adminsOnly: 'Only the workspace’s S3 destination admins can remove destinations.',
    bucket,
  };
  if (!(await guardCommand(deps, args, rule))) return;
  await ack();
  try {
    const destination = await deps.stores.destinations.get(command.team_id, bucket);
    await respond(
      destination
        ? { response_type: 'ephemeral', ...buildRemoveConfirmation(bucket) }
        : {
            response_type: 'ephemeral',
            text: noSuchDestination(bucket),
          },
    );
  } catch (error) {
    log.error({ err: error }, 'remove lookup failed');
    await respond({ response_type: 'ephemeral', text: describeFailure(error, '') }).catch(
      () => undefined,
    );
  }
}
