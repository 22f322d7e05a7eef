import type { Deps } from '../../../deps-types';
import { bucketNameProblems } from '../../../domain/bucket-name';
import { adminRefusal, confirmAdmin } from '../../admins/rule';
import { describeFailure } from '../../user-errors';
import { buildRemoveConfirmation } from '../../views/remove-confirmation';
import { noSuchDestination, notABucketName } from '../../views/bucket-replies';
import type { CommandArgs } from '../../command-args';

/** `/s3-destination remove <bucket>`: asks for confirmation; the buttons do the removing. */
export async function remove(
  deps: Deps,
  { command, ack, respond, client, context, log }: CommandArgs,
  bucket: string,
): Promise<void> {
  const refused = adminRefusal(
    await confirmAdmin(deps, {
      teamId: command.team_id,
      userId: command.user_id,
      client,
      token: context.botToken,
    }),
    'Only the workspace’s S3 destination admins can remove destinations.',
  );
  if (refused) {
    await ack({ response_type: 'ephemeral', text: refused });
    return;
  }
  if (bucketNameProblems(bucket).length > 0) {
    await ack({
      response_type: 'ephemeral',
      text: notABucketName(bucket),
    });
    return;
  }
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
