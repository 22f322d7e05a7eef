import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import type { BlockActionArgs } from '../../block-actions';
import { guardClick } from '../../click-guard';
import { HOME_BUTTON_NOT_VALID, homeButtonBucket, homeClick } from '../click';
import { ACTION } from '../../ids';
import { inlineCode } from '../../views/mrkdwn';
import { verifyDestination } from '../../workflows/verify-destination';

/** The App Home's Check now: the same check as `verify <bucket>`, then the view republished. */
export function register(app: App, deps: Deps): void {
  app.action(ACTION.homeVerify, async (args: BlockActionArgs) => {
    await args.ack();
    const click = homeClick(deps, args);
    if (!click) return;
    const rule = { parse: homeButtonBucket, invalid: HOME_BUTTON_NOT_VALID };
    const guarded = await guardClick(deps, args, rule, click.republish);
    if (!guarded) return;
    const bucket = guarded.value;
    let lastNotice = '';
    const { outcome } = await verifyDestination(deps, {
      teamId: click.teamId,
      bucket,
      userId: click.userId,
      client: args.client,
      log: click.log,
      republishesHome: true,
      say: (text) => {
        lastNotice = text;
        return click.republish(text);
      },
      // The App Home has no ephemeral: the whole result goes to the user's direct messages.
      showResult: (message) =>
        args.client.chat.postMessage({
          channel: click.userId,
          text: message.text,
          blocks: message.blocks,
          unfurl_links: false,
        }),
    });
    await click.republish(
      outcome === 'recorded'
        ? `Checked ${inlineCode(bucket)}: its result is below, and in its channel.`
        : lastNotice,
    );
  });
}
