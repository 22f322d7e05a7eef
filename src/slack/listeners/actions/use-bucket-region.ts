import type { App, types } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { regionLabel } from '../../../domain/regions';
import { adminRefusal, confirmAdmin } from '../../admins/rule';
import { ADMINS_ONLY, requestLogger } from '../../context';
import { ACTION, COMMAND } from '../../ids';
import { postToResponseUrl } from '../../messaging';
import { isServedRegion, parseRegionFix } from '../../region-fix';
import { runCheckAndSave } from './check-and-save';
import { actionTeamId, buttonValue, tellClicker, type BlockActionArgs } from './types';

/**
 * The `use_bucket_region` button of a failed result whose only fault was the region: switches the
 * setup session to the bucket's region and runs the same Check and Save again, with the same
 * challenge file. The region comes back from the button, so it is checked again: a known region
 * of a partition the bot has a principal in.
 */
export function register(app: App, deps: Deps): void {
  app.action(ACTION.useBucketRegion, async (args: BlockActionArgs) => {
    await args.ack();
    const log = requestLogger(deps, args.context);
    const { body } = args;
    const userId = body.user.id;
    const tell = tellClicker(args, log);

    const fix = parseRegionFix(buttonValue(args));
    const teamId = actionTeamId(args);
    if (!fix || !teamId || !isServedRegion(fix.region, deps.settings.principals)) {
      await tell(`This button is not valid any more: run \`${COMMAND} setup\` again.`);
      return;
    }
    const refused = adminRefusal(
      await confirmAdmin(deps, {
        teamId,
        userId,
        client: args.client,
        token: args.context.botToken,
      }),
      ADMINS_ONLY,
    );
    if (refused) {
      await tell(refused);
      return;
    }
    await runCheckAndSave(
      deps,
      args,
      {
        teamId,
        sessionId: fix.sessionId,
        userId,
        tell,
        fromInstructions: false,
        prepare: async (session) => {
          // The result that offered the button is settled: it keeps its text, not the button.
          const switched = `:arrows_counterclockwise: <@${userId}> switched this setup to ${regionLabel(fix.region)} and checked again: the new result follows.`;
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
        },
      },
      log,
    );
  });
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
