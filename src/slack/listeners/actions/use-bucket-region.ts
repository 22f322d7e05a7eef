import type { App, types } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { regionLabel } from '../../../domain/regions';
import type { Logger } from '../../../log/logger';
import type { SetupSession } from '../../../store/types';
import type { BlockActionArgs } from '../../block-actions';
import { checkAndSaveClick } from '../../check-and-save-click';
import { ACTION } from '../../ids';
import { postToResponseUrl } from '../../messaging';
import { isServedRegion, parseRegionFix, type RegionFix } from '../../region-fix';

/**
 * The `use_bucket_region` button of a failed result whose only fault was the region: switches the
 * setup session to the bucket's region and runs the same Check and Save again, with the same
 * challenge file. The region comes back from the button, so it is checked again: a known region
 * of a partition the bot has a principal in.
 */
export function register(app: App, deps: Deps): void {
  app.action(ACTION.useBucketRegion, (args: BlockActionArgs) =>
    checkAndSaveClick(
      deps,
      args,
      (value) => {
        const fix = parseRegionFix(value);
        return fix && isServedRegion(fix.region, deps.settings.principals) ? fix : undefined;
      },
      (fix, log) => ({
        sessionId: fix.sessionId,
        fromInstructions: false,
        prepare: (session) => switchRegion(deps, args, fix, session, log),
      }),
    ),
  );
}

/**
 * Under the Check and Save lock: settles the result that offered the button (it keeps its text,
 * not the button) and switches the session to the bucket's region.
 */
async function switchRegion(
  deps: Deps,
  { body }: BlockActionArgs,
  fix: RegionFix,
  session: SetupSession,
  log: Logger,
): Promise<SetupSession> {
  const switched = `:arrows_counterclockwise: <@${body.user.id}> switched this setup to ${regionLabel(fix.region)} and checked again: the new result follows.`;
  await postToResponseUrl(
    body.response_url,
    withoutButtons(body.message, switched),
    'replace',
    log,
  );
  if (session.settings.region === fix.region) return session;
  // Storing the switched session renews its lifetime: `policy` keeps finding it as long.
  await deps.sessionIndex
    .remember(session.teamId, session.userId, session.settings.bucket, session.id)
    .catch((error: unknown) => log.warn({ err: error }, 'the session index failed'));
  log.info(
    { sessionId: session.id, from: session.settings.region, to: fix.region },
    'setup switched to the bucket’s region',
  );
  return { ...session, settings: { ...session.settings, region: fix.region } };
}

/** The message the button was in, its buttons replaced by `note`. */
function withoutButtons(
  message: { text?: string; blocks?: unknown } | undefined,
  note: string,
): { text: string; blocks: types.KnownBlock[] } {
  const blocks = Array.isArray(message?.blocks)
    ? (message.blocks as types.KnownBlock[]).filter((block) => block.type !== 'actions')
    : [];
  return {
    text: message?.text ?? note,
    blocks: [...blocks, { type: 'context', elements: [{ type: 'mrkdwn', text: note }] }],
  };
}
