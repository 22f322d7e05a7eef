import type { webApi } from '@slack/bolt';
import type { Deps } from '../../deps-types';
import { audit } from '../../destinations/audit';
import { saveDestination } from '../../destinations/changes';
import { principalForRegion } from '../../domain/principal';
import type { Logger } from '../../log/logger';
import { countedCheck } from '../../metrics/metrics';
import { verifyLockKey } from '../../store/keys';
import { withLock } from '../../store/lock-watchdog';
import type { Fence, SetupSession } from '../../store/types';
import type { VerificationReport } from '../../verify/report';
import { summarizeReport } from '../../verify/summary';
import { homeChanged } from '../home/refresh';
import { COMMAND } from '../ids';
import { postInChannel, postToResponseUrl } from '../messaging';
import { bucketRegionToUse } from '../region-fix';
import { describeFailure } from '../user-errors';
import { buildCheckResult, buildSavedSummary } from '../views/check-result';
import { escapeText } from '../views/mrkdwn';
import type { SlackMessage } from '../views/types';

const EXPIRED = `This setup session has expired: run \`${COMMAND} setup\` again`;

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

/** Where the button was pressed: the client to post with and the message's response_url. */
export interface ClickOrigin {
  readonly client: webApi.WebClient;
  readonly responseUrl: string;
}

/**
 * Checks a setup session under its lock, saves it on success (fenced) and tells the channel: the
 * one path of Check and Save, also taken by the region fix. Runs as a tracked task; never rejects.
 */
export async function checkAndSaveSession(
  deps: Deps,
  origin: ClickOrigin,
  request: CheckAndSaveRequest,
  log: Logger,
): Promise<void> {
  await deps.tasks.run(
    () => checkAndSaveLocked(deps, origin, request, log),
    async (error) => {
      log.error({ err: error }, 'check and save failed');
      await request.tell(describeFailure(error, 'Your setup is kept.'));
    },
  );
}

function alreadyConnected(session: SetupSession): string {
  return `\`${escapeText(session.settings.bucket)}\` is already connected. See \`${COMMAND} list\`.`;
}

/** The session this click may check, or undefined once the clicker has been told why not. */
async function sessionToCheck(
  deps: Deps,
  request: CheckAndSaveRequest,
): Promise<SetupSession | undefined> {
  const { teamId, userId, tell } = request;
  const session = await deps.stores.sessions.get(teamId, request.sessionId);
  if (!session) {
    await tell(EXPIRED);
    return undefined;
  }
  if (session.teamId !== teamId || (request.fromInstructions && session.userId !== userId)) {
    await tell(`Only <@${session.userId}>, who started this setup, can run its Check and Save.`);
    return undefined;
  }
  if (session.savedAt) {
    await tell(alreadyConnected(session));
    return undefined;
  }
  return session;
}

async function checkAndSaveLocked(
  deps: Deps,
  origin: ClickOrigin,
  request: CheckAndSaveRequest,
  log: Logger,
): Promise<void> {
  const session = await sessionToCheck(deps, request);
  if (!session) return;
  // The lock lives as long as the check, however long it waits for a verifier turn.
  const locked = await withLock(
    deps.stores.locks,
    verifyLockKey(request.teamId, session.id),
    deps.settings.verifyLockTtlMs,
    async (fence) => {
      const prepared = await sessionStillToCheck(deps, request, session);
      if (prepared) await checkAndSave(deps, origin, prepared, fence, log, request);
    },
  );
  if (!locked.held) {
    await request.tell(
      `A check of \`${escapeText(session.settings.bucket)}\` is already running: its result will appear in the channel.`,
    );
  }
}

/**
 * Under the lock: the session read again (another click may have finished its check and saved
 * between the first read and the lock), prepared and stored; undefined once the clicker was told.
 */
async function sessionStillToCheck(
  deps: Deps,
  request: CheckAndSaveRequest,
  session: SetupSession,
): Promise<SetupSession | undefined> {
  // A session's bucket never changes: its destination is read alongside it.
  const [current, saved] = await Promise.all([
    deps.stores.sessions.get(request.teamId, session.id),
    deps.stores.destinations.get(request.teamId, session.settings.bucket),
  ]);
  if (!current) {
    await request.tell(EXPIRED);
    return undefined;
  }
  // This very session's destination already saved (same bucket, same challenge)?
  if (current.savedAt || saved?.challengeKey === current.challengeKey) {
    await request.tell(alreadyConnected(session));
    return undefined;
  }
  const prepared = request.prepare ? await request.prepare(current) : current;
  if (prepared !== current) await deps.stores.sessions.put(prepared);
  return prepared;
}

/** Every check of the session's settings, counted in the metrics. */
async function verifySession(deps: Deps, session: SetupSession): Promise<VerificationReport> {
  const { settings } = session;
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
  return report;
}

/** What one check of a session produced, and how to render its result for the channel. */
interface CheckedSession {
  readonly session: SetupSession;
  readonly report: VerificationReport;
  readonly summary: string;
  readonly startedAt: string;
  readonly resultFor: (occasion: 'setup' | 'update') => SlackMessage;
}

async function checkAndSave(
  deps: Deps,
  origin: ClickOrigin,
  session: SetupSession,
  fence: Fence,
  log: Logger,
  request: CheckAndSaveRequest,
): Promise<void> {
  const startedAt = deps.now().toISOString();
  const report = await verifySession(deps, session);
  const bucketRegion = bucketRegionToUse(report, session.settings.region, deps.settings.principals);
  const checked: CheckedSession = {
    session,
    report,
    startedAt,
    summary: summarizeReport(report),
    resultFor: (occasion) =>
      buildCheckResult({
        userId: request.userId,
        settings: session.settings,
        report,
        occasion,
        identityProven: deps.settings.identityProven,
        ...(bucketRegion ? { regionFix: { sessionId: session.id, region: bucketRegion } } : {}),
      }),
  };
  if (!report.ok) {
    await reportFailedCheck(deps, origin, checked, log, request.userId);
    return;
  }
  const saved = await saveChecked(deps, origin, checked, fence, log, request.userId);
  if (!saved) {
    // The lock was lost (the process stalled past its TTL) and another click holds it now: that
    // click's check decides, and this one says nothing to the team.
    log.warn('check and save lost its lock before saving; nothing recorded');
    return;
  }
  homeChanged(deps, session.teamId, origin.client);
  if (request.fromInstructions) {
    const summary = buildSavedSummary(session.settings);
    await postToResponseUrl(origin.responseUrl, summary, 'replace', log);
  }
}

/** A failed check: audited and shown in the channel (or, failing that, to the clicker). */
async function reportFailedCheck(
  deps: Deps,
  origin: ClickOrigin,
  checked: CheckedSession,
  log: Logger,
  actor: string,
): Promise<void> {
  const { session } = checked;
  await audit(deps, log, session.teamId, {
    actor,
    action: 'check_and_save',
    bucket: session.settings.bucket,
    outcome: checked.summary,
  });
  const result = checked.resultFor('setup');
  const channel = { ...origin, channelId: session.channelId, metrics: deps.metrics };
  // The team could not be told; at least the user sees what failed, below their instructions.
  if (!(await postInChannel(channel, result, log))) {
    await postToResponseUrl(origin.responseUrl, result, 'ephemeral', log);
  }
}

/** A passed check: saved and told as one change. False when the fence refused the save. */
async function saveChecked(
  deps: Deps,
  origin: ClickOrigin,
  checked: CheckedSession,
  fence: Fence,
  log: Logger,
  actor: string,
): Promise<boolean> {
  const { session, report, startedAt } = checked;
  const channel = { ...origin, channelId: session.channelId, metrics: deps.metrics };
  // Saved and told as one change: a verify or a sweep of the same bucket is told in order.
  const saved = await saveDestination(deps, {
    draft: {
      teamId: session.teamId,
      settings: session.settings,
      challengeKey: session.challengeKey,
      channelId: session.channelId,
      connectedBy: session.userId,
      connectedAt: startedAt,
      verifiedAt: startedAt,
      regionCheckedAt: startedAt,
      lastCheck: { at: startedAt, ok: true, summary: checked.summary },
      ...(report.challengeOwnerId === undefined ? {} : { ownerId: report.challengeOwnerId }),
    },
    fence,
    actor,
    announce: async ({ previous }) => {
      // The destination is saved whatever happens next, so the team is told alongside marking the
      // session, even if that fails; a later click then finds the destination and repeats nothing.
      await Promise.all([
        deps.stores.sessions
          .put({ ...session, savedAt: startedAt })
          .catch((error: unknown) => log.warn({ err: error }, 'could not mark the session saved')),
        postInChannel(channel, checked.resultFor(previous ? 'update' : 'setup'), log),
      ]);
    },
  });
  return saved.status !== 'fenced';
}
