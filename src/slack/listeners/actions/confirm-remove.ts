import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import type { BlockActionArgs } from '../../block-actions';
import { guardClick } from '../../click-guard';
import { requestLogger } from '../../context';
import { ACTION } from '../../ids';
import { postToResponseUrl } from '../../messaging';
import { describeFailure } from '../../user-errors';
import { notice } from '../../views/check-result';
import { inlineCode } from '../../views/mrkdwn';
import { parseRemoveButtonValue } from '../../views/remove-confirmation';
import { removeAndAnnounce } from '../../workflows/remove-destination';

/** The Remove button of `/s3-destination remove`: removes, and the confirmation says so. */
export function register(app: App, deps: Deps): void {
  app.action(ACTION.confirmRemove, async (args: BlockActionArgs) => {
    await args.ack();
    const log = requestLogger(deps, args.context);
    const { body, client } = args;
    const reply = (text: string) =>
      postToResponseUrl(body.response_url, notice(text), 'replace', log);
    const rule = {
      parse: parseRemoveButtonValue,
      invalid: 'This button is not valid any more: run `/s3-destination remove <bucket>` again.',
      adminsOnly: 'Only the workspace’s S3 destination admins can remove destinations.',
    };
    const click = await guardClick(deps, args, rule, reply);
    if (!click) return;
    const { bucket } = click.value;
    try {
      const removed = await removeAndAnnounce(deps, {
        teamId: click.teamId,
        bucket,
        userId: click.userId,
        client,
        log,
        channelId: body.channel?.id ?? body.container?.channel_id,
        responseUrl: body.response_url,
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
