import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { Deps } from '../../../deps';
import { verifyLockKey } from '../../../store/keys';
import type { SavedDestination, SetupSession } from '../../../store/types';
import { summarizeReport } from '../../../verify/summary';
import { requestLogger } from '../../context';
import { ACTION, COMMAND } from '../../ids';
import { postInChannel, postToResponseUrl, sendEphemeral } from '../../messaging';
import { describeFailure } from '../../user-errors';
import { buildCheckResult, buildSavedSummary, notice } from '../../views/check-result';
import { actionTeamId, buttonValue, type BlockActionArgs } from './types';

const sessionIdSchema = z.string().uuid();

const EXPIRED = `This setup session has expired: run \`${COMMAND} setup\` again`;

/** Check and Save: verify the bucket, tell the channel, save the destination on success. */
export function register(app: App, deps: Deps): void {
  app.action(ACTION.checkAndSave, async (args: BlockActionArgs) => {
    await args.ack();
    const log = requestLogger(deps, args.context);
    const { body, client } = args;
    const userId = body.user.id;
    const channelId = body.channel?.id ?? body.container?.channel_id;
    const tell = (text: string) =>
      channelId
        ? sendEphemeral(
            { client, channelId, userId, responseUrl: body.response_url },
            notice(text),
            log,
          )
        : postToResponseUrl(body.response_url, notice(text), 'ephemeral', log);

    const sessionId = sessionIdSchema.safeParse(buttonValue(args));
    const teamId = actionTeamId(args);
    if (!sessionId.success || !teamId) {
      await tell(`This button is not valid any more: run \`${COMMAND} setup\` again.`);
      return;
    }

    await deps.tasks.run(
      async () => {
        const session = await deps.stores.sessions.get(teamId, sessionId.data);
        if (!session) {
          await tell(EXPIRED);
          return;
        }
        if (session.userId !== userId || session.teamId !== teamId) {
          await tell(
            `Only <@${session.userId}>, who started this setup, can run its Check and Save.`,
          );
          return;
        }
        const alreadyConnected = `\`${session.settings.bucket}\` is already connected. See \`${COMMAND} list\`.`;
        if (session.savedAt) {
          await tell(alreadyConnected);
          return;
        }
        const lockKey = verifyLockKey(teamId, session.id);
        const token = await deps.stores.locks.acquire(lockKey, deps.settings.verifyLockTtlMs);
        if (!token) {
          await tell(
            `A check of \`${session.settings.bucket}\` is already running: its result will appear in the channel. If nothing appears within a minute, press *Check and Save* again.`,
          );
          return;
        }
        try {
          // Another click may have finished its check and saved between the read above and the lock.
          const current = await deps.stores.sessions.get(teamId, session.id);
          if (!current) {
            await tell(EXPIRED);
            return;
          }
          if (current.savedAt || (await savedFrom(deps, current))) {
            await tell(alreadyConnected);
            return;
          }
          await checkAndSave(deps, args, current, log);
        } finally {
          await deps.stores.locks.release(lockKey, token).catch(() => undefined);
        }
      },
      async (error) => {
        log.error({ err: error }, 'check and save failed');
        await tell(describeFailure(error, 'Your setup is kept.'));
      },
    );
  });
}

/** Whether this very session's destination is already saved (same bucket, same challenge). */
async function savedFrom(deps: Deps, session: SetupSession): Promise<boolean> {
  const saved = await deps.stores.destinations.get(session.teamId, session.settings.bucket);
  return saved?.challengeKey === session.challengeKey;
}

async function checkAndSave(
  deps: Deps,
  { body, client }: BlockActionArgs,
  session: SetupSession,
  log: ReturnType<typeof requestLogger>,
): Promise<void> {
  const { settings } = session;
  const report = await deps.verifier.verify({
    bucket: settings.bucket,
    region: settings.region,
    challengeKey: session.challengeKey,
  });

  if (report.ok) {
    const at = deps.now().toISOString();
    const destination: SavedDestination = {
      teamId: session.teamId,
      settings,
      challengeKey: session.challengeKey,
      channelId: session.channelId,
      connectedBy: session.userId,
      verifiedAt: at,
      lastCheck: { at, ok: true, summary: summarizeReport(report) },
    };
    // Save before telling anyone: a "connected" message must never precede a failed save.
    await deps.stores.destinations.save(destination);
    // The destination is saved whatever happens next, so the team is told even if marking the
    // session fails; a later click then finds the destination and repeats nothing.
    await deps.stores.sessions
      .put({ ...session, savedAt: at })
      .catch((error: unknown) => log.warn({ err: error }, 'could not mark the session saved'));
  }

  const result = buildCheckResult({ userId: session.userId, settings, report, occasion: 'setup' });
  const posted = await postInChannel(
    { client, channelId: session.channelId, responseUrl: body.response_url },
    result,
    log,
  );

  if (report.ok) {
    await postToResponseUrl(body.response_url, buildSavedSummary(settings), 'replace', log);
  } else if (!posted) {
    // The team could not be told; at least the user sees what failed, below their instructions.
    await postToResponseUrl(body.response_url, result, 'ephemeral', log);
  }
}
