import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import type { BlockActionArgs } from '../../block-actions';
import { anyValue, guardClick } from '../../click-guard';
import { homeClick } from '../click';
import { ACTION } from '../../ids';
import { slackErrorCode } from '../../messaging';
import { parseHomeMetadata } from '../view';
import { openSetupModal } from '../../workflows/open-setup-modal';

/**
 * The App Home's Set up: opens the setup modal, answered in the user's direct messages with the
 * bot, and republishes the user's view when it cannot.
 */
export function register(app: App, deps: Deps): void {
  app.action(ACTION.homeSetup, async (args: BlockActionArgs) => {
    await args.ack();
    const click = homeClick(deps, args);
    if (!click) return;
    const rule = {
      parse: anyValue,
      invalid: '',
      adminsOnly: 'Only the workspace’s S3 destination admins can run setup.',
    };
    if (!(await guardClick(deps, args, rule, click.republish))) return;
    const view = args.body.view as { private_metadata?: string } | undefined;
    const channelId =
      parseHomeMetadata(view?.private_metadata)?.channelId ??
      (await deps.stores.homeViewers.get(click.teamId, click.userId).catch(() => undefined))
        ?.channelId;
    if (!channelId) {
      await click.republish(
        'The setup form needs the bot’s direct messages with you: open the *Messages* tab once, then press *Set up a bucket* again.',
      );
      return;
    }
    try {
      await openSetupModal(deps, {
        client: args.client,
        botToken: args.context.botToken,
        triggerId: args.body.trigger_id,
        metadata: { channelId },
      });
    } catch (error) {
      click.log.error({ err: error, slackError: slackErrorCode(error) }, 'views.open failed');
      await click.republish(
        'The setup form could not be opened (Slack did not accept it in time). Press *Set up a bucket* again.',
      );
    }
  });
}
