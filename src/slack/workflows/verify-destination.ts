import type { webApi } from '@slack/bolt';
import type { Deps } from '../../deps-types';
import { recordCheck } from '../../destinations/changes';
import { principalForRegion } from '../../domain/principal';
import type { Logger } from '../../log/logger';
import { countedCheck } from '../../metrics/metrics';
import { verifyLockKey } from '../../store/keys';
import { withLock } from '../../store/lock-watchdog';
import type { RecordOutcome, SavedDestination } from '../../store/types';
import { checkDestination } from '../../verify/check-destination';
import { summarizeReport } from '../../verify/summary';
import { homeChanged } from '../home-refresh';
import { COMMAND } from '../ids';
import { postInChannel } from '../messaging';
import { describeFailure } from '../user-errors';
import { noSuchDestination } from '../views/bucket-replies';
import { buildCheckResult } from '../views/check-result';
import { inlineCode } from '../views/mrkdwn';
import type { SlackMessage } from '../views/types';

/** Who asked for a check of a saved destination, and how to answer them. */
export interface VerifyRequest {
  readonly teamId: string;
  readonly bucket: string;
  /** Who asked: named in the result and the audit. */
  readonly userId: string;
  readonly client: webApi.WebClient;
  readonly log: Logger;
  /** Where the team is told: the command's channel; the destination's own when unset. */
  readonly channelId?: string;
  readonly responseUrl?: string;
  /** A one-line notice to the caller alone. */
  readonly say: (text: string) => Promise<unknown>;
  /** The whole result to the caller alone: the team could not be told, or a later check was. */
  readonly showResult: (message: SlackMessage) => Promise<unknown>;
  /** The caller republishes their own App Home once this resolves: no refresh for them. */
  readonly republishesHome?: boolean;
}

/**
 * How a check of a saved destination ended: recorded, or not (see RecordOutcome); `missing` (no
 * such destination), `busy` (another check of it was running), `failed` (our side; said).
 */
export type VerifyOutcome = RecordOutcome | 'missing' | 'busy' | 'failed';

/**
 * Re-runs every check on a saved destination, records the result (compare-and-set on the version
 * checked) and tells the team: the one path of `/s3-destination verify` and the App Home's Check
 * now. Runs as a tracked task after the ack; resolves with how it ended, never rejects.
 */
export async function verifyDestination(
  deps: Deps,
  request: VerifyRequest,
): Promise<VerifyOutcome> {
  let ended: VerifyOutcome = 'failed';
  await deps.tasks.run(
    async () => {
      ended = await verifyLocked(deps, request);
    },
    async (error) => {
      request.log.error({ err: error }, 'verify failed');
      await request
        .say(describeFailure(error, 'The destination is unchanged.'))
        .catch(() => undefined);
    },
  );
  return ended;
}

async function verifyLocked(deps: Deps, request: VerifyRequest): Promise<VerifyOutcome> {
  const { teamId, bucket, say } = request;
  const destination = await deps.stores.destinations.get(teamId, bucket);
  if (!destination) {
    await say(noSuchDestination(bucket));
    return 'missing';
  }
  let ended: VerifyOutcome = 'busy';
  const locked = await withLock(
    deps.stores.locks,
    verifyLockKey(teamId, `destination:${bucket}`),
    deps.settings.verifyLockTtlMs,
    async () => {
      ended = await checkAndRecord(deps, request, destination);
    },
  );
  if (!locked.held) {
    await say(
      `A check of ${inlineCode(bucket)} is already running: its result will appear in the channel.`,
    );
    return 'busy';
  }
  return ended;
}

async function checkAndRecord(
  deps: Deps,
  request: VerifyRequest,
  destination: SavedDestination,
): Promise<RecordOutcome> {
  const { bucket, userId, client, log } = request;
  await request
    .say(`Checking ${inlineCode(bucket)}…`)
    .catch((error: unknown) => log.warn({ err: error }, 'could not say the check has started'));
  const { report, record } = await countedCheck(deps.metrics, 'verify', () =>
    checkDestination(
      deps.verifier,
      destination,
      'verify',
      deps.now,
      principalForRegion(deps.settings, destination.settings.region),
    ),
  );
  const message = buildCheckResult({
    userId,
    settings: destination.settings,
    report,
    occasion: 'verify',
    identityProven: deps.settings.identityProven,
  });
  // Compare-and-set: a remove or a new setup while the check ran wins over its result;
  // recorded and told as one change, so the channel hears changes in order.
  const { outcome } = await recordCheck(deps, {
    destination,
    record,
    audit: (recorded) => ({
      actor: userId,
      action: 'verify',
      bucket,
      outcome: recorded === 'recorded' ? summarizeReport(report) : `not recorded: ${recorded}`,
    }),
    announce: async () => {
      const channelId = request.channelId ?? destination.channelId;
      const target = { client, channelId, responseUrl: request.responseUrl };
      if (!(await postInChannel(target, message, log))) await request.showResult(message);
      return undefined;
    },
  });
  await answerOutcome(deps, request, outcome, message);
  return outcome;
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
    homeChanged(deps, teamId, client, request.republishesHome ? userId : undefined);
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
