import type { webApi } from '@slack/bolt';
import type { Deps } from '../../deps-types';
import { recordCheck } from '../../destinations/changes';
import { principalForRegion } from '../../domain/principal';
import type { Logger } from '../../log/logger';
import { countedCheck } from '../../metrics/metrics';
import { WORKFLOW_ACTOR } from '../../store/audit';
import { verifyLockKey } from '../../store/keys';
import { withLock, withLockWaiting } from '../../store/lock-watchdog';
import type { RecordOutcome, SavedDestination } from '../../store/types';
import { checkDestination } from '../../verify/saved-destination-checks';
import type { VerificationReport } from '../../verify/report';
import { summarizeReport } from '../../verify/summary';
import { homeChanged } from '../home/refresh';
import { COMMAND } from '../ids';
import { tryPostInChannel, type ChannelPost } from '../messaging';
import { describeFailure } from '../user-errors';
import { noSuchDestination } from '../views/bucket-replies';
import { buildCheckResult } from '../views/check-result';
import { inlineCode } from '../views/mrkdwn';
import type { SlackMessage } from '../views/types';

/** Who asked for a check of a saved destination, and how to answer them. */
export interface VerifyRequest {
  readonly teamId: string;
  readonly bucket: string;
  /** Who asked: named in the result and the audit. Unset: a workflow (the Workflow Builder step). */
  readonly userId?: string;
  readonly client: webApi.WebClient;
  readonly log: Logger;
  /**
   * Where the team is told: this channel; the destination's own when unset; nowhere when
   * `postResult` is false (the caller reports the result its own way).
   */
  readonly channelId?: string;
  readonly postResult?: boolean;
  readonly responseUrl?: string;
  /** A one-line notice to the caller alone. */
  readonly say: (text: string) => Promise<unknown>;
  /** The whole result to the caller alone: the team could not be told, or a later check was. */
  readonly showResult: (message: SlackMessage) => Promise<unknown>;
  /** The caller republishes their own App Home once this resolves: no refresh for them. */
  readonly republishesHome?: boolean;
  /**
   * The token the App Homes are refreshed with after the check, when not the client's own (the
   * step's token stops working once the step completes, and a refresh may come later).
   */
  readonly homeToken?: string;
  /** Wait this long for another check of the destination to finish, instead of saying it is busy. */
  readonly waitForTurnMs?: number;
}

/**
 * How a check of a saved destination ended: recorded, or not (see RecordOutcome); `missing` (no
 * such destination), `busy` (another check of it was running), `failed` (our side; said).
 */
export type VerifyOutcome = RecordOutcome | 'missing' | 'busy' | 'failed';

/** What a check of a saved destination found, for a caller that reports it itself (the step). */
export interface VerifyResult {
  readonly outcome: VerifyOutcome;
  /** What the checks found; unset when they did not run. */
  readonly report?: VerificationReport;
  /** When the checks started. */
  readonly checkedAt?: Date;
  /** Whether the team was told in the channel (when the result was to be posted). */
  readonly post?: ChannelPost;
  /** What went wrong on our side, for `failed`. */
  readonly error?: unknown;
}

/**
 * Re-runs every check on a saved destination, records the result (compare-and-set on the version
 * checked) and tells the team: the one path of `/s3-destination verify`, the App Home's Check now
 * and the Workflow Builder step. Runs as a tracked task after the ack; resolves with how it ended
 * and what it found, never rejects.
 */
export async function verifyDestination(deps: Deps, request: VerifyRequest): Promise<VerifyResult> {
  let ended: VerifyResult = { outcome: 'failed' };
  await deps.tasks.run(
    async () => {
      ended = await verifyLocked(deps, request);
    },
    async (error) => {
      ended = { outcome: 'failed', error };
      request.log.error({ err: error }, 'verify failed');
      await request
        .say(describeFailure(error, 'The destination is unchanged.'))
        .catch(() => undefined);
    },
  );
  return ended;
}

async function verifyLocked(deps: Deps, request: VerifyRequest): Promise<VerifyResult> {
  const { teamId, bucket, say } = request;
  const destination = await deps.stores.destinations.get(teamId, bucket);
  if (!destination) {
    await say(noSuchDestination(bucket));
    return { outcome: 'missing' };
  }
  const lockKey = verifyLockKey(teamId, `destination:${bucket}`);
  const ttlMs = deps.settings.verifyLockTtlMs;
  const work = () => checkAndRecord(deps, request, destination);
  const locked =
    request.waitForTurnMs === undefined
      ? await withLock(deps.stores.locks, lockKey, ttlMs, work)
      : await withLockWaiting(deps.stores.locks, lockKey, ttlMs, request.waitForTurnMs, work);
  if (!locked.held) {
    await say(
      `A check of ${inlineCode(bucket)} is already running: its result will appear in the channel.`,
    );
    return { outcome: 'busy' };
  }
  return locked.value;
}

async function checkAndRecord(
  deps: Deps,
  request: VerifyRequest,
  destination: SavedDestination,
): Promise<VerifyResult> {
  const { bucket, userId, client, log } = request;
  await request
    .say(`Checking ${inlineCode(bucket)}…`)
    .catch((error: unknown) => log.warn({ err: error }, 'could not say the check has started'));
  const { report, record, startedAt } = await countedCheck(deps.metrics, 'verify', () =>
    checkDestination(
      deps.verifier,
      destination,
      'verify',
      deps.now,
      principalForRegion(deps.settings, destination.settings.region),
    ),
  );
  const message = buildCheckResult({
    ...(userId === undefined ? {} : { userId }),
    settings: destination.settings,
    report,
    occasion: 'verify',
    identityProven: deps.settings.identityProven,
  });
  let post: ChannelPost | undefined;
  // Compare-and-set: a remove or a new setup while the check ran wins over its result;
  // recorded and told as one change, so the channel hears changes in order.
  const { outcome } = await recordCheck(deps, {
    destination,
    record,
    audit: (recorded) => ({
      actor: userId ?? WORKFLOW_ACTOR,
      action: 'verify',
      bucket,
      outcome: recorded === 'recorded' ? summarizeReport(report) : `not recorded: ${recorded}`,
    }),
    announce: async () => {
      if (request.postResult === false) return undefined;
      const channelId = request.channelId ?? destination.channelId;
      post = await tryPostInChannel(
        { client, channelId, responseUrl: request.responseUrl, metrics: deps.metrics },
        message,
        log,
      );
      if (!post.posted) await request.showResult(message);
      return undefined;
    },
  });
  await answerOutcome(deps, request, outcome, message);
  return { outcome, report, checkedAt: startedAt, ...(post ? { post } : {}) };
}

/** Tells the caller what became of a check that was not simply recorded. */
async function answerOutcome(
  deps: Deps,
  request: VerifyRequest,
  outcome: RecordOutcome,
  message: SlackMessage,
): Promise<void> {
  const { teamId, bucket, userId, client, say } = request;
  if (outcome === 'recorded') {
    homeChanged(deps, teamId, client, {
      ...(request.republishesHome && userId !== undefined ? { except: userId } : {}),
      ...(request.homeToken ? { token: request.homeToken } : {}),
    });
  }
  if (outcome === 'removed') {
    await say(
      `${inlineCode(bucket)} was removed while it was being checked, so this check was not recorded and nothing was posted.`,
    );
  } else if (outcome === 'changed') {
    await say(
      `${inlineCode(bucket)} was set up again while it was being checked, so this result (for the previous setup) was not recorded. Run ${inlineCode(`${COMMAND} verify ${bucket}`)} to check the new setup.`,
    );
  } else if (outcome === 'stale') {
    // A check that started later already told the channel: this older result is the caller's alone.
    await request.showResult(message);
  }
}
