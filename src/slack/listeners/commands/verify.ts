import type { Deps } from '../../../deps';
import { bucketNameProblems } from '../../../domain/bucket-name';
import { verifyLockKey } from '../../../store/keys';
import { checkSavedDestination } from '../../../verify/check-destination';
import { COMMAND } from '../../ids';
import { postInChannel } from '../../messaging';
import { describeFailure } from '../../user-errors';
import { buildCheckResult } from '../../views/check-result';
import { noSuchDestination, notABucketName } from '../../views/bucket-replies';
import type { CommandArgs } from './types';

/** `/s3-destination verify <bucket>`: re-run the checks and tell the channel. */
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
  const teamId = command.team_id;
  const lockKey = verifyLockKey(teamId, `destination:${bucket}`);
  await deps.tasks.run(
    async () => {
      const destination = await deps.stores.destinations.get(teamId, bucket);
      if (!destination) {
        await respond({
          response_type: 'ephemeral',
          text: noSuchDestination(bucket),
        });
        return;
      }
      const token = await deps.stores.locks.acquire(lockKey, deps.settings.verifyLockTtlMs);
      if (!token) {
        await respond({
          response_type: 'ephemeral',
          text: `A check of \`${bucket}\` is already running: its result will appear in the channel. If nothing appears within a minute, run \`${COMMAND} verify ${bucket}\` again.`,
        });
        return;
      }
      try {
        await respond({ response_type: 'ephemeral', text: `Checking \`${bucket}\`…` }).catch(
          (error: unknown) => log.warn({ err: error }, 'could not say the check has started'),
        );
        const { report } = await checkSavedDestination(
          deps.verifier,
          deps.stores.destinations,
          destination,
          deps.now,
        );
        const message = buildCheckResult({
          userId: command.user_id,
          settings: destination.settings,
          report,
          occasion: 'verify',
        });
        const posted = await postInChannel(
          { client, channelId: command.channel_id, responseUrl: command.response_url },
          message,
          log,
        );
        if (!posted) await respond({ response_type: 'ephemeral', ...message });
      } finally {
        await deps.stores.locks.release(lockKey, token).catch(() => undefined);
      }
    },
    async (error) => {
      log.error({ err: error }, 'verify failed');
      await respond({
        response_type: 'ephemeral',
        text: describeFailure(error, 'The destination is unchanged.'),
      }).catch(() => undefined);
    },
  );
}
