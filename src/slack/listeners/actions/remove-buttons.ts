import { inlineCode } from '../../views/mrkdwn';
import type { App, webApi } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { removeDestination } from '../../../destinations/changes';
import type { Logger } from '../../../log/logger';
import { homeChanged } from '../../home-refresh';
import { adminRefusal, confirmAdmin } from '../../admins/rule';
import { requestLogger } from '../../context';
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
    const refused = adminRefusal(
      await confirmAdmin(deps, {
        teamId,
        userId: body.user.id,
        client,
        token: args.context.botToken,
      }),
      'Only the workspace’s S3 destination admins can remove destinations.',
    );
    if (refused) {
      await reply(refused);
      return;
    }
    try {
      const removed = await removeAndAnnounce(deps, {
        teamId,
        bucket: value.bucket,
        userId: body.user.id,
        client,
        log,
        channelId: body.channel?.id ?? body.container?.channel_id,
        responseUrl: body.response_url,
      });
      await reply(
        removed
          ? `Removed ${inlineCode(value.bucket)}.`
          : `${inlineCode(value.bucket)} was already removed.`,
      );
    } catch (error) {
      log.error({ err: error }, 'remove failed');
      await reply(describeFailure(error, 'The destination is still saved.'));
    }
  });
}

/** Who removes which destination, and where the team hears of it. */
export interface RemoveRequest {
  readonly teamId: string;
  readonly bucket: string;
  readonly userId: string;
  readonly client: webApi.WebClient;
  readonly log: Logger;
  /** Where the team is told: where the confirmation was; the destination's own channel when unset. */
  readonly channelId?: string;
  readonly responseUrl?: string;
  /** The caller republishes their own App Home once this resolves: no refresh for them. */
  readonly republishesHome?: boolean;
}

/**
 * Removes a saved destination through the change path and tells the team under its lock: the one
 * workflow of `confirm_remove` and the App Home's Remove. Resolves whether this call removed it
 * (false: it was already gone); rejects when the store fails.
 */
export async function removeAndAnnounce(deps: Deps, request: RemoveRequest): Promise<boolean> {
  const { teamId, bucket, userId, client, log } = request;
  // Removed and told as one change: a check finishing meanwhile is told before, or not at all.
  const { removed } = await removeDestination(deps, {
    teamId,
    bucket,
    actor: userId,
    announce: async (outcome) => {
      const channelId = request.channelId ?? outcome.previous?.channelId;
      if (!outcome.removed || !channelId) return;
      await postInChannel(
        { client, channelId, responseUrl: request.responseUrl },
        buildRemovedNotice(userId, bucket),
        log,
      );
    },
  });
  if (removed) homeChanged(deps, teamId, client, request.republishesHome ? userId : undefined);
  return removed;
}
