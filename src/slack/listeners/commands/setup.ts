import type { webApi } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { servedPartitions } from '../../../domain/principal';
import { adminRefusal, confirmAdmin } from '../../admins/rule';
import { postToResponseUrl } from '../../messaging';
import type { SetupMetadata } from '../../metadata';
import { notice } from '../../views/check-result';
import { setupModalJson } from '../../views/setup-modal';
import { callWebApi } from '../../web-api';
import type { CommandArgs } from './types';

// The trigger_id is good for 3 seconds; an answer later than that is no use.
const VIEWS_OPEN_TIMEOUT_MS = 3000;

/** Where the setup modal is opened from, and where its setup is then answered. */
export interface SetupModalRequest {
  readonly client: webApi.WebClient;
  readonly botToken: string | undefined;
  readonly triggerId: string;
  readonly metadata: SetupMetadata;
}

/**
 * Opens the setup modal with `views.open` at once (the trigger_id lives 3 seconds): the one way
 * of `/s3-destination setup` and the App Home's Set up. Rejects when Slack did not take it.
 */
export async function openSetupModal(deps: Deps, request: SetupModalRequest): Promise<void> {
  // The form is serialised once (setupModalJson): only the trigger and the metadata are new.
  const view = setupModalJson(request.metadata, servedPartitions(deps.settings.principals));
  await callWebApi(
    request.client,
    request.botToken,
    'views.open',
    `{"trigger_id":${JSON.stringify(request.triggerId)},"view":${view}}`,
    VIEWS_OPEN_TIMEOUT_MS,
  );
}

/** `/s3-destination setup`: ack, then open the modal at once (the trigger_id lives 3 seconds). */
export async function setup(
  deps: Deps,
  { command, ack, client, context, log }: CommandArgs,
): Promise<void> {
  const refused = adminRefusal(
    await confirmAdmin(deps, {
      teamId: command.team_id,
      userId: command.user_id,
      client,
      token: context.botToken,
    }),
    'Only the workspace’s S3 destination admins can run setup. Ask one of them to connect the bucket.',
  );
  if (refused) {
    await ack({ response_type: 'ephemeral', text: refused });
    return;
  }
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
