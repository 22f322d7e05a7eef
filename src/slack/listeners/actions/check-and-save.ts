import { audit } from '../../../destinations/audit';
import { saveDestination } from '../../../destinations/changes';
import { principalForRegion } from '../../../domain/principal';
import type { App } from '@slack/bolt';
import { z } from 'zod';
import { countedCheck } from '../../../metrics/metrics';
import type { Deps } from '../../../deps-types';
import { verifyLockKey } from '../../../store/keys';
import { withLock } from '../../../store/lock-watchdog';
import type { Fence, SetupSession } from '../../../store/types';
import { summarizeReport } from '../../../verify/summary';
import { homeChanged } from '../../home-refresh';
import { adminRefusal, confirmAdmin } from '../../admins/rule';
import { ADMINS_ONLY, requestLogger } from '../../context';
import { ACTION, COMMAND } from '../../ids';
import { postInChannel, postToResponseUrl } from '../../messaging';
import { bucketRegionToUse } from '../../region-fix';
import { describeFailure } from '../../user-errors';
import { buildCheckResult, buildSavedSummary } from '../../views/check-result';
import { escapeText } from '../../views/mrkdwn';
import { actionTeamId, buttonValue, tellClicker, type BlockActionArgs } from './types';

const sessionIdSchema = z.string().uuid();

const EXPIRED = `This setup session has expired: run \`${COMMAND} setup\` again`;

/** Check and Save: verify the bucket, tell the channel, save the destination on success. */
export function register(app: App, deps: Deps): void {
  app.action(ACTION.checkAndSave, async (args: BlockActionArgs) => {
    await args.ack();
    const log = requestLogger(deps, args.context);
    const { body } = args;
    const userId = body.user.id;
    const tell = tellClicker(args, log);

    const sessionId = sessionIdSchema.safeParse(buttonValue(args));
    const teamId = actionTeamId(args);
    if (!sessionId.success || !teamId) {
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
      { teamId, sessionId: sessionId.data, userId, tell, fromInstructions: true },
      log,
    );
  });
}

/** One Check and Save of a setup session, and how to answer whoever asked for it. */
export interface CheckAndSaveRequest {
  readonly teamId: string;
  readonly sessionId: string;
  /** Who pressed the button: named in the result and the audit. */
  readonly userId: string;
  /** Shows that user a one-line notice. */
  readonly tell: (text: string) => Promise<unknown>;
  /**
   * Pressed in the one-time instructions: only the session's creator may, and success replaces
   * the instructions. Otherwise (the region fix in a team-visible result) any admin may.
   */
  readonly fromInstructions: boolean;
  /** Under the lock, before the check: may change the session (the change is stored first). */
  readonly prepare?: (session: SetupSession) => Promise<SetupSession>;
}

/**
 * Checks a setup session under its lock, saves it on success (fenced) and tells the channel: the
 * one path of Check and Save, also taken by the region fix.
 */
export async function runCheckAndSave(
  deps: Deps,
  args: BlockActionArgs,
  request: CheckAndSaveRequest,
  log: ReturnType<typeof requestLogger>,
): Promise<void> {
  const { teamId, userId, tell } = request;
  await deps.tasks.run(
    async () => {
      const session = await deps.stores.sessions.get(teamId, request.sessionId);
      if (!session) {
        await tell(EXPIRED);
        return;
      }
      if (session.teamId !== teamId || (request.fromInstructions && session.userId !== userId)) {
        await tell(
          `Only <@${session.userId}>, who started this setup, can run its Check and Save.`,
        );
        return;
      }
      const alreadyConnected = `\`${escapeText(session.settings.bucket)}\` is already connected. See \`${COMMAND} list\`.`;
      if (session.savedAt) {
        await tell(alreadyConnected);
        return;
      }
      // The lock lives as long as the check, however long it waits for a verifier turn.
      const locked = await withLock(
        deps.stores.locks,
        verifyLockKey(teamId, session.id),
        deps.settings.verifyLockTtlMs,
        async (fence) => {
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
          const prepared = request.prepare ? await request.prepare(current) : current;
          if (prepared !== current) await deps.stores.sessions.put(prepared);
          await checkAndSave(deps, args, prepared, fence, log, request);
        },
      );
      if (!locked.held) {
        await tell(
          `A check of \`${escapeText(session.settings.bucket)}\` is already running: its result will appear in the channel.`,
        );
      }
    },
    async (error) => {
      log.error({ err: error }, 'check and save failed');
      await tell(describeFailure(error, 'Your setup is kept.'));
    },
  );
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
  fence: Fence,
  log: ReturnType<typeof requestLogger>,
  request: CheckAndSaveRequest,
): Promise<void> {
  const { settings } = session;
  const started = deps.now().toISOString();
  const { report } = await countedCheck(deps.metrics, 'check_and_save', async () => ({
    report: await deps.verifier.verify({
      bucket: settings.bucket,
      region: settings.region,
      challengeKey: session.challengeKey,
      principalArn: principalForRegion(deps.settings, settings.region),
      ...(settings.access === undefined ? {} : { access: settings.access }),
      teamId: session.teamId,
    }),
  }));

  const summary = summarizeReport(report);
  const channel = { client, channelId: session.channelId, responseUrl: body.response_url };
  const bucketRegion = bucketRegionToUse(report, settings.region, deps.settings.principals);
  const resultFor = (occasion: 'setup' | 'update') =>
    buildCheckResult({
      userId: request.userId,
      settings,
      report,
      occasion,
      identityProven: deps.settings.identityProven,
      ...(bucketRegion ? { regionFix: { sessionId: session.id, region: bucketRegion } } : {}),
    });

  if (!report.ok) {
    await audit(deps, log, session.teamId, {
      actor: request.userId,
      action: 'check_and_save',
      bucket: settings.bucket,
      outcome: summary,
    });
    const result = resultFor('setup');
    // The team could not be told; at least the user sees what failed, below their instructions.
    if (!(await postInChannel(channel, result, log))) {
      await postToResponseUrl(body.response_url, result, 'ephemeral', log);
    }
    return;
  }

  // Saved and told as one change: a verify or a sweep of the same bucket is told in order.
  const saved = await saveDestination(deps, {
    draft: {
      teamId: session.teamId,
      settings,
      challengeKey: session.challengeKey,
      channelId: session.channelId,
      connectedBy: session.userId,
      connectedAt: started,
      verifiedAt: started,
      regionCheckedAt: started,
      lastCheck: { at: started, ok: true, summary },
      ...(report.challengeOwnerId === undefined ? {} : { ownerId: report.challengeOwnerId }),
    },
    fence,
    actor: request.userId,
    announce: async ({ previous }) => {
      // The destination is saved whatever happens next, so the team is told even if marking the
      // session fails; a later click then finds the destination and repeats nothing.
      await deps.stores.sessions
        .put({ ...session, savedAt: started })
        .catch((error: unknown) => log.warn({ err: error }, 'could not mark the session saved'));
      await postInChannel(channel, resultFor(previous ? 'update' : 'setup'), log);
    },
  });
  if (saved.status === 'fenced') {
    // The lock was lost (the process stalled past its TTL) and another click holds it now: that
    // click's check decides, and this one says nothing to the team.
    log.warn('check and save lost its lock before saving; nothing recorded');
    return;
  }
  homeChanged(deps, session.teamId, client);
  if (request.fromInstructions) {
    await postToResponseUrl(body.response_url, buildSavedSummary(settings), 'replace', log);
  }
}
