import type { types, App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { principalForRegion } from '../../../domain/principal';
import { validateSettings } from '../../../domain/validate-settings';
import { requestLogger } from '../../context';
import { COMMAND, RESETUP_CALLBACK_ID } from '../../ids';
import { parseResetupMetadata } from '../../views/resetup-confirmation';
import { buildStorageUnavailableView } from '../../views/storage-unavailable';
import { setupSubmitter, type SubmitArgs } from '../../view-submissions';
import { deliverInstructions, newSession } from '../../workflows/setup-session';

function refusal(text: string): types.ModalView {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: 'Not set up' },
    close: { type: 'plain_text', text: 'Back to the form' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}

/**
 * *Set up again* on the confirmation for a connected bucket: the setup starts as any other, and
 * its instructions say that the saved destination stays until the new Check and Save passes. The
 * settings come back from private_metadata, so they are checked again as at submit.
 */
export function register(app: App, deps: Deps): void {
  app.view(RESETUP_CALLBACK_ID, async (args: SubmitArgs) => {
    const { ack, view, client, context } = args;
    const log = requestLogger(deps, context);
    const confirmed = parseResetupMetadata(view.private_metadata);
    const principalArn = confirmed && principalForRegion(deps.settings, confirmed.settings.region);
    if (!confirmed || !validateSettings(confirmed.settings).ok || principalArn === undefined) {
      await ack({
        response_action: 'update',
        view: refusal(`This form is out of date: close it and run \`${COMMAND} setup\` again.`),
      });
      return;
    }
    const submitter = await setupSubmitter(deps, args);
    if ('refused' in submitter) {
      await ack({ response_action: 'update', view: refusal(submitter.refused) });
      return;
    }
    const { teamId, userId } = submitter;
    const { settings, ...metadata } = confirmed;
    const session = newSession(deps, { teamId, userId, metadata }, settings);
    try {
      await deps.stores.sessions.put(session);
    } catch (error) {
      log.error({ err: error }, 'setup session could not be stored');
      // Replaces this confirmation: closing it returns to the filled-in form.
      await ack({ response_action: 'update', view: buildStorageUnavailableView() });
      return;
    }
    await ack({ response_action: 'clear' });
    await deliverInstructions(deps, client, session, principalArn, log, true);
  });
}
