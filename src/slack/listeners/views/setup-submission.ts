import { randomUUID } from 'node:crypto';
import type {
  AllMiddlewareArgs,
  App,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import type { Deps } from '../../../deps';
import { buildBucketPolicy, formatBucketPolicy } from '../../../domain/bucket-policy';
import { newChallengeKey } from '../../../domain/challenge';
import type { SetupSession } from '../../../store/types';
import { isAllowedAdmin, requestLogger } from '../../context';
import { FIELD, SETUP_CALLBACK_ID } from '../../ids';
import { sendEphemeral } from '../../messaging';
import { parseSetupMetadata } from '../../metadata';
import { parseSetupSubmission, toModalErrors } from '../../setup-state';
import { audit } from '../../audit';
import { buildSetupInstructions } from '../../views/setup-instructions';
import { buildStorageUnavailableView } from '../../views/storage-unavailable';

type SubmitArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/**
 * The setup modal's submit: validate everything, store a session, then send the one-time
 * instructions. The session is written before the ack so that a storage failure can still be shown
 * in the modal, within Slack's 3 seconds, with the user's input intact.
 */
export function register(app: App, deps: Deps): void {
  app.view(SETUP_CALLBACK_ID, async ({ ack, body, view, client, context }: SubmitArgs) => {
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
    const teamId = body.team?.id ?? body.user.team_id ?? context.teamId;
    if (!teamId || !isAllowedAdmin(deps, userId)) {
      await ack({
        response_action: 'errors',
        errors: { [FIELD.bucket]: 'Only the workspace’s S3 destination admins can run setup.' },
      });
      return;
    }
    const submission = parseSetupSubmission(view.state?.values, deps.settings.principals);
    if (!submission.ok) {
      await ack({ response_action: 'errors', errors: toModalErrors(submission.problems) });
      return;
    }

    const session: SetupSession = {
      id: randomUUID(),
      teamId,
      userId,
      channelId: metadata.channelId,
      ...(metadata.responseUrl ? { responseUrl: metadata.responseUrl } : {}),
      settings: submission.settings,
      challengeKey: newChallengeKey(),
      createdAt: deps.now().toISOString(),
    };
    try {
      await deps.stores.sessions.put(session);
    } catch (error) {
      log.error({ err: error }, 'setup session could not be stored');
      await ack({ response_action: 'push', view: buildStorageUnavailableView() });
      return;
    }
    await ack();

    const { bucket, region } = session.settings;
    const message = buildSetupInstructions({
      sessionId: session.id,
      settings: session.settings,
      challengeKey: session.challengeKey,
      bucketPolicy: formatBucketPolicy(buildBucketPolicy(bucket, region, submission.principalArn)),
      sessionTtlSeconds: deps.settings.sessionTtlSeconds,
    });
    const sent = await sendEphemeral(
      { client, channelId: session.channelId, userId, responseUrl: session.responseUrl },
      message,
      log,
    );
    if (!sent) log.error({ sessionId: session.id }, 'setup instructions could not be delivered');
    await audit(deps, log, teamId, {
      actor: userId,
      action: 'setup',
      bucket,
      outcome: sent ? 'instructions sent' : 'instructions could not be delivered',
    });
  });
}
