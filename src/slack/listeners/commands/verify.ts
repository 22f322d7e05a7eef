import type { webApi } from '@slack/bolt';
import { countedCheck } from '../../../metrics/metrics';
import type { Deps } from '../../../deps-types';
import { recordCheck } from '../../../destinations/changes';
import { principalForRegion } from '../../../domain/principal';
import type { Logger } from '../../../log/logger';
import { bucketNameProblems } from '../../../domain/bucket-name';
import { verifyLockKey } from '../../../store/keys';
import { withLock } from '../../../store/lock-watchdog';
import type { RecordOutcome } from '../../../store/types';
import { checkDestination } from '../../../verify/check-destination';
import { summarizeReport } from '../../../verify/summary';
import { homeChanged } from '../../home-refresh';
import { COMMAND } from '../../ids';
import { postInChannel } from '../../messaging';
import { describeFailure } from '../../user-errors';
import { buildCheckResult } from '../../views/check-result';
import { noSuchDestination, notABucketName } from '../../views/bucket-replies';
import { inlineCode } from '../../views/mrkdwn';
import type { SlackMessage } from '../../views/types';
import type { CommandArgs } from './types';

/** Who asked for a check of a saved destination, and how to answer them. */
export interface VerifyRequest {
  readonly teamId: string;
  readonly bucket: string;
  /** Who asked: named in the result and the audit. */
  readonly userId: string;
  readonly client: webApi.WebClient;
  readonly log: Logger;
  /** Where the team is told: the command's channel; the destination's own when unset. */
  readonly channelId?: string;
  readonly responseUrl?: string;
  /** A one-line notice to the caller alone. */
  readonly say: (text: string) => Promise<unknown>;
  /** The whole result to the caller alone: the team could not be told, or a later check was. */
  readonly showResult: (message: SlackMessage) => Promise<unknown>;
  /** The caller republishes their own App Home once this resolves: no refresh for them. */
  readonly republishesHome?: boolean;
}

/**
 * How a check of a saved destination ended: recorded, or not (see RecordOutcome); `missing` (no
 * such destination), `busy` (another check of it was running), `failed` (our side; said).
 */
export type VerifyOutcome = RecordOutcome | 'missing' | 'busy' | 'failed';

/**
 * Re-runs every check on a saved destination, records the result (compare-and-set on the version
 * checked) and tells the team: the one path of `/s3-destination verify` and the App Home's Check
 * now. Runs as a tracked task after the ack; resolves with how it ended, never rejects.
 */
export async function verifyDestination(
  deps: Deps,
  request: VerifyRequest,
): Promise<VerifyOutcome> {
  const { teamId, bucket, userId, client, log, say } = request;
  let ended: VerifyOutcome = 'failed';
  await deps.tasks.run(
    async () => {
      const destination = await deps.stores.destinations.get(teamId, bucket);
      if (!destination) {
        ended = 'missing';
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
          const { report, record } = await countedCheck(deps.metrics, 'verify', () =>
            checkDestination(
              deps.verifier,
              destination,
              'verify',
              deps.now,
              principalForRegion(deps.settings, destination.settings.region),
            ),
          );
          const message = buildCheckResult({
            userId,
            settings: destination.settings,
            report,
            occasion: 'verify',
            identityProven: deps.settings.identityProven,
          });
          // Compare-and-set: a remove or a new setup while the check ran wins over its result;
          // recorded and told as one change, so the channel hears changes in order.
          const { outcome: recorded } = await recordCheck(deps, {
            destination,
            record,
            audit: (outcome) => ({
              actor: userId,
              action: 'verify',
              bucket,
              outcome:
                outcome === 'recorded' ? summarizeReport(report) : `not recorded: ${outcome}`,
            }),
            announce: async () => {
              const posted = await postInChannel(
                {
                  client,
                  channelId: request.channelId ?? destination.channelId,
                  responseUrl: request.responseUrl,
                },
                message,
                log,
              );
              if (!posted) await request.showResult(message);
              return undefined;
            },
          });
          ended = recorded;
          if (recorded === 'recorded') {
            homeChanged(deps, teamId, client, request.republishesHome ? userId : undefined);
          }
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
            await request.showResult(message);
          }
        },
      );
      if (!locked.held) {
        ended = 'busy';
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
  return ended;
}

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
