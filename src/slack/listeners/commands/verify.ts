import type { Deps } from '../../../deps-types';
import { bucketNameProblems } from '../../../domain/bucket-name';
import type { CommandArgs } from '../../command-args';
import { notABucketName } from '../../views/bucket-replies';
import { verifyDestination } from '../../workflows/verify-destination';

/**
 * `/s3-destination verify <bucket>`: re-run every check and tell the channel. Open to every member:
 * it changes nothing that is saved but the destination's last check.
 */
export async function verify(
  deps: Deps,
  { command, ack, respond, client, log }: CommandArgs,
  bucket: string,
): Promise<void> {
  if (bucketNameProblems(bucket).length > 0) {
    await ack({
      response_type: 'ephemeral',
      text: notABucketName(bucket),
    });
    return;
  }
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
