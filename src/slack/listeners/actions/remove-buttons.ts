import { inlineCode } from '../../views/mrkdwn';
import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps';
import { whileAnnouncing } from '../../announce';
import { audit } from '../../audit';
import { isAllowedAdmin, requestLogger } from '../../context';
import { ACTION } from '../../ids';
import { postInChannel, postToResponseUrl } from '../../messaging';
import { describeFailure } from '../../user-errors';
import { notice } from '../../views/check-result';
import { buildRemovedNotice, removeButtonValueSchema } from '../../views/remove-confirmation';
import { actionTeamId, buttonValue, type BlockActionArgs } from './types';

function parseValue(raw: string | undefined) {
  try {
    const parsed = removeButtonValueSchema.safeParse(JSON.parse(raw ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The Remove / Cancel buttons of `/s3-destination remove`. */
export function register(app: App, deps: Deps): void {
  app.action(ACTION.cancelRemove, async (args: BlockActionArgs) => {
    await args.ack();
    const log = requestLogger(deps, args.context);
    const value = parseValue(buttonValue(args));
    const text = value
      ? `Kept ${inlineCode(value.bucket)}. Nothing was removed.`
      : 'Nothing was removed.';
    await postToResponseUrl(args.body.response_url, notice(text), 'replace', log);
  });

  app.action(ACTION.confirmRemove, async (args: BlockActionArgs) => {
    await args.ack();
    const log = requestLogger(deps, args.context);
    const { body, client } = args;
    const reply = (text: string) =>
      postToResponseUrl(body.response_url, notice(text), 'replace', log);
    const value = parseValue(buttonValue(args));
    const teamId = actionTeamId(args);
    if (!value || !teamId) {
      await reply(
        'This button is not valid any more: run `/s3-destination remove <bucket>` again.',
      );
      return;
    }
    if (!isAllowedAdmin(deps, body.user.id)) {
      await reply('Only the workspace’s S3 destination admins can remove destinations.');
      return;
    }
    try {
      const { bucket } = value;
      const channelId = body.channel?.id ?? body.container?.channel_id;
      // Removed and told as one announcement: a check finishing meanwhile is told before, or not at all.
      const removed = await whileAnnouncing(deps, teamId, bucket, async () => {
        const outcome = await deps.stores.destinations.remove(teamId, bucket);
        if (outcome.removed && channelId) {
          await postInChannel(
            { client, channelId, responseUrl: body.response_url },
            buildRemovedNotice(body.user.id, bucket),
            log,
          );
        }
        return outcome.removed;
      });
      await audit(deps, log, teamId, {
        actor: body.user.id,
        action: 'remove',
        bucket,
        outcome: removed ? 'removed' : 'already removed',
      });
      await reply(
        removed ? `Removed ${inlineCode(bucket)}.` : `${inlineCode(bucket)} was already removed.`,
      );
    } catch (error) {
      log.error({ err: error }, 'remove failed');
      await reply(describeFailure(error, 'The destination is still saved.'));
    }
  });
}
