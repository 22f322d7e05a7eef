import type { Deps } from '../../../deps-types';
import type { CommandArgs } from '../../command-args';
import { guardCommand } from '../../command-guard';
import { postToResponseUrl } from '../../messaging';
import { notice } from '../../views/check-result';
import { openSetupModal } from '../../workflows/open-setup-modal';

/** `/s3-destination setup`: ack, then open the modal at once (the trigger_id lives 3 seconds). */
export async function setup(deps: Deps, args: CommandArgs): Promise<void> {
  const { command, ack, client, context, log } = args;
  const rule = {
    adminsOnly:
      'Only the workspace’s S3 destination admins can run setup. Ask one of them to connect the bucket.',
  };
  if (!(await guardCommand(deps, args, rule))) return;
  await ack();
  try {
    await openSetupModal(deps, {
      client,
      botToken: context.botToken,
      triggerId: command.trigger_id,
      metadata: { channelId: command.channel_id, responseUrl: command.response_url },
    });
  } catch (error) {
    log.error({ err: error }, 'views.open failed');
    await postToResponseUrl(
      command.response_url,
      notice(
        'The setup form could not be opened (Slack did not accept it in time). Run `/s3-destination setup` again.',
      ),
      'ephemeral',
      log,
    );
  }
}
