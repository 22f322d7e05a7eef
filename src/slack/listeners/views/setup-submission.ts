import { randomUUID } from 'node:crypto';
import type {
  AllMiddlewareArgs,
  App,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
  webApi,
} from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { accessOf } from '../../../domain/access';
import { buildBucketPolicy } from '../../../domain/bucket-policy';
import { newChallengeKey } from '../../../domain/challenge';
import type { DestinationSettings } from '../../../domain/destination';
import type { Logger } from '../../../log/logger';
import type { SetupSession } from '../../../store/types';
import { audit } from '../../../destinations/audit';
import { adminRefusal, confirmAdmin } from '../../admins/rule';
import { requestLogger } from '../../context';
import { FIELD, SETUP_CALLBACK_ID } from '../../ids';
import { sendEphemeral } from '../../messaging';
import { parseSetupMetadata, type SetupMetadata } from '../../metadata';
import { parseSetupSubmission, toModalErrors } from '../../setup-state';
import { buildResetupConfirmation } from '../../views/resetup-confirmation';
import { buildSetupInstructions } from '../../views/setup-instructions';
import { buildStorageUnavailableView } from '../../views/storage-unavailable';

export type SubmitArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** The workspace of a view submission, also on Enterprise Grid where `team` may be null. */
export function submitTeamId({ body, context }: SubmitArgs): string | undefined {
  return body.team?.id ?? body.user.team_id ?? context.teamId;
}

/** A new setup session for valid settings: what Check and Save will verify. */
export function newSession(
  deps: Deps,
  where: { teamId: string; userId: string; metadata: SetupMetadata },
  settings: DestinationSettings,
): SetupSession {
  return {
    id: randomUUID(),
    teamId: where.teamId,
    userId: where.userId,
    channelId: where.metadata.channelId,
    ...(where.metadata.responseUrl ? { responseUrl: where.metadata.responseUrl } : {}),
    settings,
    challengeKey: newChallengeKey(),
    createdAt: deps.now().toISOString(),
  };
}

/**
 * After the ack: remembers the session as the user's latest setup of the bucket (for `policy`),
 * sends the one-time instructions, and records the setup in the audit trail.
 */
export async function deliverInstructions(
  deps: Deps,
  client: webApi.WebClient,
  session: SetupSession,
  principalArn: string,
  log: Logger,
  replacing: boolean,
): Promise<void> {
  const { bucket, region } = session.settings;
  const access = accessOf(session.settings);
  await deps.sessionIndex
    .remember(session.teamId, session.userId, bucket, session.id)
    .catch((error: unknown) =>
      log.warn({ err: error }, '`policy` will not find this setup: the session index failed'),
    );
  const message = buildSetupInstructions({
    sessionId: session.id,
    settings: session.settings,
    challengeKey: session.challengeKey,
    bucketPolicy: buildBucketPolicy(bucket, region, principalArn),
    ...(access.type === 'iam_role' ? { role: { access, principalArn } } : {}),
    sessionTtlSeconds: deps.settings.sessionTtlSeconds,
    replacing,
  });
  const sent = await sendEphemeral(
    {
      client,
      channelId: session.channelId,
      userId: session.userId,
      responseUrl: session.responseUrl,
    },
    message,
    log,
  );
  if (!sent) log.error({ sessionId: session.id }, 'setup instructions could not be delivered');
  const again = replacing ? ' (set up again)' : '';
  await audit(deps, log, session.teamId, {
    actor: session.userId,
    action: 'setup',
    bucket,
    outcome: `${sent ? 'instructions sent' : 'instructions could not be delivered'}${again}`,
  });
}

/**
 * The setup modal's submit: validate everything; for a bucket the workspace has connected already,
 * ask to confirm (a view pushed on top, so Back keeps the input); otherwise store a session, then
 * send the one-time instructions. Storage is used before the ack so that a failure can still be
 * shown in the modal, within Slack's 3 seconds, with the user's input intact.
 */
export function register(app: App, deps: Deps): void {
  app.view(SETUP_CALLBACK_ID, async (args: SubmitArgs) => {
    const { ack, body, view, client, context } = args;
    const log = requestLogger(deps, context);
    const metadata = parseSetupMetadata(view.private_metadata);
    if (!metadata) {
      await ack({
        response_action: 'errors',
        errors: {
          [FIELD.bucket]: 'This form is out of date: close it and run /s3-destination setup again.',
        },
      });
      return;
    }
    const userId = body.user.id;
    const teamId = submitTeamId(args);
    const refused = adminRefusal(
      teamId
        ? await confirmAdmin(deps, { teamId, userId, client, token: context.botToken })
        : 'not_admin',
      'Only the workspace’s S3 destination admins can run setup.',
    );
    if (!teamId || refused) {
      await ack({ response_action: 'errors', errors: { [FIELD.bucket]: refused ?? '' } });
      return;
    }
    const submission = parseSetupSubmission(view.state?.values, deps.settings.principals, {
      s3Compatible: deps.settings.s3Compatible,
      stsAvailable: deps.settings.stsAvailable,
    });
    if (!submission.ok) {
      await ack({ response_action: 'errors', errors: toModalErrors(submission.problems) });
      return;
    }

    const session = newSession(deps, { teamId, userId, metadata }, submission.settings);
    try {
      const connected = await deps.stores.destinations.get(teamId, session.settings.bucket);
      if (connected) {
        await ack({
          response_action: 'push',
          view: buildResetupConfirmation(metadata, submission.settings, connected),
        });
        return;
      }
      await deps.stores.sessions.put(session);
    } catch (error) {
      log.error({ err: error }, 'setup session could not be stored');
      await ack({ response_action: 'push', view: buildStorageUnavailableView() });
      return;
    }
    await ack();
    await deliverInstructions(deps, client, session, submission.principalArn, log, false);
  });
}
