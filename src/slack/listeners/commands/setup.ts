import type { Deps } from '../../../deps';
import { servedPartitions } from '../../../domain/principal';
import { isAllowedAdmin } from '../../context';
import { postToResponseUrl } from '../../messaging';
import { notice } from '../../views/check-result';
import { buildSetupModal } from '../../views/setup-modal';
import { callWebApi } from '../../web-api';
import type { CommandArgs } from './types';

// The trigger_id is good for 3 seconds; an answer later than that is no use.
const VIEWS_OPEN_TIMEOUT_MS = 3000;

/** `/s3-destination setup`: ack, then open the modal at once (the trigger_id lives 3 seconds). */
export async function setup(
  deps: Deps,
  { command, ack, client, context, log }: CommandArgs,
): Promise<void> {
  if (!isAllowedAdmin(deps, command.user_id)) {
    await ack({
      response_type: 'ephemeral',
      text: 'Only the workspace’s S3 destination admins can run setup. Ask one of them to connect the bucket.',
    });
    return;
  }
  await ack();
  try {
    await callWebApi(
      client,
      context.botToken,
      'views.open',
      {
        trigger_id: command.trigger_id,
        view: buildSetupModal(
          { channelId: command.channel_id, responseUrl: command.response_url },
          servedPartitions(deps.settings.principals),
        ),
      },
      VIEWS_OPEN_TIMEOUT_MS,
    );
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
