import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import type { BlockActionArgs } from '../../block-actions';
import { guardClick } from '../../click-guard';
import { HOME_BUTTON_NOT_VALID, homeButtonBucket, homeClick } from '../click';
import { ACTION } from '../../ids';
import { describeFailure } from '../../user-errors';
import { inlineCode } from '../../views/mrkdwn';
import { removeAndAnnounce } from '../../workflows/remove-destination';

/**
 * The App Home's Remove: after Slack's confirm dialog, the same removal as `confirm_remove`, then
 * the view republished.
 */
export function register(app: App, deps: Deps): void {
  app.action(ACTION.homeRemove, async (args: BlockActionArgs) => {
    await args.ack();
    const click = homeClick(deps, args);
    if (!click) return;
    const rule = {
      parse: homeButtonBucket,
      invalid: HOME_BUTTON_NOT_VALID,
      adminsOnly: 'Only the workspace’s S3 destination admins can remove destinations.',
    };
    const guarded = await guardClick(deps, args, rule, click.republish);
    if (!guarded) return;
    const bucket = guarded.value;
    let notice: string;
    try {
      const removed = await removeAndAnnounce(deps, {
        teamId: click.teamId,
        bucket,
        userId: click.userId,
        client: args.client,
        log: click.log,
        republishesHome: true,
      });
      notice = removed
        ? `Removed ${inlineCode(bucket)}; its channel was told.`
        : `${inlineCode(bucket)} was already removed.`;
    } catch (error) {
      click.log.error({ err: error }, 'remove failed');
      notice = describeFailure(error, 'The destination is still saved.');
    }
    await click.republish(notice);
  });
}
