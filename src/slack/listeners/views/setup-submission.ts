import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { requestLogger } from '../../context';
import { FIELD, SETUP_CALLBACK_ID } from '../../ids';
import { parseSetupMetadata } from '../../metadata';
import { parseSetupSubmission, toModalErrors } from '../../setup-state';
import { setupSubmitter, type SubmitArgs } from '../../view-submissions';
import { buildResetupConfirmation } from '../../views/resetup-confirmation';
import { buildStorageUnavailableView } from '../../views/storage-unavailable';
import { deliverInstructions, newSession } from '../../workflows/setup-session';

/**
 * The setup modal's submit: validate everything; for a bucket the workspace has connected already,
 * ask to confirm (a view pushed on top, so Back keeps the input); otherwise store a session, then
 * send the one-time instructions. Storage is used before the ack so that a failure can still be
 * shown in the modal, within Slack's 3 seconds, with the user's input intact.
 */
export function register(app: App, deps: Deps): void {
  app.view(SETUP_CALLBACK_ID, async (args: SubmitArgs) => {
    const { ack, view, client, context } = args;
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
    const submitter = await setupSubmitter(deps, args);
    if ('refused' in submitter) {
      await ack({ response_action: 'errors', errors: { [FIELD.bucket]: submitter.refused } });
      return;
    }
    const { teamId, userId } = submitter;
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
