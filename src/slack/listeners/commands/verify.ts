import { principalForRegion } from '../../../domain/principal';
import type { Deps } from '../../../deps';
import { bucketNameProblems } from '../../../domain/bucket-name';
import { verifyLockKey } from '../../../store/keys';
import { withLock } from '../../../store/lock-watchdog';
import { checkDestination } from '../../../verify/check-destination';
import { summarizeReport } from '../../../verify/summary';
import { whileAnnouncing } from '../../announce';
import { audit } from '../../audit';
import { COMMAND } from '../../ids';
import { postInChannel } from '../../messaging';
import { describeFailure } from '../../user-errors';
import { buildCheckResult } from '../../views/check-result';
import { noSuchDestination, notABucketName } from '../../views/bucket-replies';
import { inlineCode } from '../../views/mrkdwn';
import type { CommandArgs } from './types';

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
  const teamId = command.team_id;
  const say = (text: string) => respond({ response_type: 'ephemeral', text });
  await deps.tasks.run(
    async () => {
      const destination = await deps.stores.destinations.get(teamId, bucket);
      if (!destination) {
        await say(noSuchDestination(bucket));
        return;
      }
      const locked = await withLock(
        deps.stores.locks,
        verifyLockKey(teamId, `destination:${bucket}`),
        deps.settings.verifyLockTtlMs,
        async () => {
          await say(`Checking ${inlineCode(bucket)}…`).catch((error: unknown) =>
            log.warn({ err: error }, 'could not say the check has started'),
          );
          const { report, record } = await checkDestination(
            deps.verifier,
            destination,
            'verify',
            deps.now,
            principalForRegion(deps.settings, destination.settings.region),
          );
          const message = buildCheckResult({
            userId: command.user_id,
            settings: destination.settings,
            report,
            occasion: 'verify',
            identityProven: deps.settings.identityProven,
          });
          // Compare-and-set: a remove or a new setup while the check ran wins over its result;
          // recorded and told as one announcement, so the channel hears changes in order.
          const recorded = await whileAnnouncing(deps, teamId, bucket, async () => {
            const outcome = await deps.stores.destinations.record(
              teamId,
              bucket,
              destination.version,
              record,
            );
            if (outcome !== 'recorded') return outcome;
            const posted = await postInChannel(
              { client, channelId: command.channel_id, responseUrl: command.response_url },
              message,
              log,
            );
            if (!posted) await respond({ response_type: 'ephemeral', ...message });
            return outcome;
          });
          await audit(deps, log, teamId, {
            actor: command.user_id,
            action: 'verify',
            bucket,
            outcome:
              recorded === 'recorded' ? summarizeReport(report) : `not recorded: ${recorded}`,
          });
          if (recorded === 'removed') {
            await say(
              `${inlineCode(bucket)} was removed while it was being checked, so this check was not recorded and nothing was posted.`,
            );
          } else if (recorded === 'changed') {
            await say(
              `${inlineCode(bucket)} was set up again while it was being checked, so this result (for the previous setup) was not recorded. Run ${inlineCode(`${COMMAND} verify ${bucket}`)} to check the new setup.`,
            );
          } else if (recorded === 'stale') {
            // A check that started later already told the channel: this older result is the caller's alone.
            await respond({ response_type: 'ephemeral', ...message });
          }
        },
      );
      if (!locked.held) {
        await say(
          `A check of ${inlineCode(bucket)} is already running: its result will appear in the channel.`,
        );
      }
    },
    async (error) => {
      log.error({ err: error }, 'verify failed');
      await say(describeFailure(error, 'The destination is unchanged.')).catch(() => undefined);
    },
  );
}
