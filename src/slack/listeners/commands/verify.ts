import type { Deps } from '../../../deps-types';
import type { CommandArgs } from '../../command-args';
import { guardCommand } from '../../command-guard';
import { verifyDestination } from '../../workflows/verify-destination';

/**
 * `/s3-destination verify <bucket>`: re-run every check and tell the channel. Open to every member:
 * it changes nothing that is saved but the destination's last check.
 */
export async function verify(deps: Deps, args: CommandArgs, bucket: string): Promise<void> {
  const { command, ack, respond, client, log } = args;
  if (!(await guardCommand(deps, args, { bucket }))) return;
  // The answer waits for the lookup, so an unknown bucket gets one clear message, not two.
  await ack();
  await verifyDestination(deps, {
    teamId: command.team_id,
    bucket,
    userId: command.user_id,
    client,
    log,
    channelId: command.channel_id,
    responseUrl: command.response_url,
    say: (text) => respond({ response_type: 'ephemeral', text }),
    showResult: (message) => respond({ response_type: 'ephemeral', ...message }),
  });
}
