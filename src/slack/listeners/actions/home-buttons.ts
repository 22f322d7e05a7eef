import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { bucketNameProblems } from '../../../domain/bucket-name';
import type { Logger } from '../../../log/logger';
import { adminRefusal, confirmAdmin, type AdminAnswer } from '../../admins/rule';
import { requestLogger } from '../../context';
import { publishHome } from '../../home-publisher';
import { ACTION } from '../../ids';
import { slackErrorCode } from '../../messaging';
import { describeFailure } from '../../user-errors';
import { parseHomeMetadata } from '../../views/home';
import { inlineCode } from '../../views/mrkdwn';
import { openSetupModal } from '../commands/setup';
import { verifyDestination } from '../commands/verify';
import { removeAndAnnounce } from './remove-buttons';
import { actionTeamId, buttonValue, type BlockActionArgs } from './types';

const MAX_PAGE = 10_000;

/** A button of the App Home, as far as the App Home's own listeners need it. */
export interface HomeClick {
  readonly teamId: string;
  readonly userId: string;
  readonly log: Logger;
  /** Publishes the user's App Home again (what the stores hold now), with a notice on top. */
  republish(notice?: string, page?: number): Promise<unknown>;
  /** Whether the user is one of the workspace's admins. */
  confirmAdmin(): Promise<AdminAnswer>;
}

/** What every App Home button's listener needs; undefined when the click names no workspace. */
export function homeClick(deps: Deps, args: BlockActionArgs): HomeClick | undefined {
  const { body, client, context } = args;
  const teamId = actionTeamId(args);
  if (!teamId) return undefined;
  const userId = body.user.id;
  const log = requestLogger(deps, context);
  const view = body.view as { private_metadata?: string; hash?: string } | undefined;
  const metadata = parseHomeMetadata(view?.private_metadata);
  return {
    teamId,
    userId,
    log,
    confirmAdmin: () => confirmAdmin(deps, { teamId, userId, client, token: context.botToken }),
    republish: (notice, page) =>
      publishHome(
        deps,
        {
          teamId,
          userId,
          client,
          token: context.botToken,
          ...(metadata?.channelId ? { channelId: metadata.channelId } : {}),
          page: page ?? metadata?.page ?? 0,
          ...(view?.hash ? { hash: view.hash } : {}),
          ...(notice ? { notice } : {}),
          opened: true,
        },
        log,
      ),
  };
}

/** The bucket a Check now or Remove button names, if it is a bucket name at all. */
function bucketOf(args: BlockActionArgs): string | undefined {
  const bucket = buttonValue(args);
  return bucket !== undefined && bucketNameProblems(bucket).length === 0 ? bucket : undefined;
}

const NOT_VALID = 'This button is not valid any more.';

/**
 * The App Home's buttons: Set up (opens the setup modal, answered in the user's direct messages
 * with the bot), Check now (the same check as `verify <bucket>`), Remove (after Slack's confirm
 * dialog, the same removal as `confirm_remove`) and the pages. Each republishes the user's view.
 */
export function register(app: App, deps: Deps): void {
  app.action(ACTION.homeSetup, async (args: BlockActionArgs) => {
    await args.ack();
    const click = homeClick(deps, args);
    if (!click) return;
    const refused = adminRefusal(
      await click.confirmAdmin(),
      'Only the workspace’s S3 destination admins can run setup.',
    );
    if (refused) {
      await click.republish(refused);
      return;
    }
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

  app.action(ACTION.homeVerify, async (args: BlockActionArgs) => {
    await args.ack();
    const click = homeClick(deps, args);
    const bucket = bucketOf(args);
    if (!click) return;
    if (!bucket) {
      await click.republish(NOT_VALID);
      return;
    }
    let lastNotice = '';
    const outcome = await verifyDestination(deps, {
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

  app.action(ACTION.homeRemove, async (args: BlockActionArgs) => {
    await args.ack();
    const click = homeClick(deps, args);
    const bucket = bucketOf(args);
    if (!click) return;
    if (!bucket) {
      await click.republish(NOT_VALID);
      return;
    }
    const refused = adminRefusal(
      await click.confirmAdmin(),
      'Only the workspace’s S3 destination admins can remove destinations.',
    );
    if (refused) {
      await click.republish(refused);
      return;
    }
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

  app.action(ACTION.homePage, async (args: BlockActionArgs) => {
    await args.ack();
    const click = homeClick(deps, args);
    if (!click) return;
    const raw = buttonValue(args) ?? '';
    const page = /^\d{1,5}$/.test(raw) ? Math.min(Number(raw), MAX_PAGE) : 0;
    await click.republish(undefined, page);
  });
}
