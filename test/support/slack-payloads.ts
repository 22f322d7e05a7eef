import type { DestinationSettings } from '../../src/domain/destination';
import {
  CHECK_STEP_CALLBACK_ID,
  FIELD,
  FORCE_QUOTE_OPTION,
  RESETUP_CALLBACK_ID,
  SETUP_CALLBACK_ID,
} from '../../src/slack/ids';

/** Who is acting, and where. */
export interface Actor {
  teamId: string;
  userId: string;
  channelId: string;
  /** Enterprise Grid: the organization whose org-wide install serves the workspace. */
  enterpriseId?: string;
}

/** What Slack adds to an interaction's payload from a workspace served by an org-wide install. */
function orgWideFields(actor: Actor): Record<string, unknown> {
  return actor.enterpriseId === undefined
    ? { is_enterprise_install: false }
    : { enterprise: { id: actor.enterpriseId, name: 'Org' }, is_enterprise_install: true };
}

export const DEFAULT_ACTOR: Actor = { teamId: 'T0TEST', userId: 'U0ALICE', channelId: 'C0DATA' };

/** A slash command form body exactly as Slack posts it. */
export function slashCommandBody(text: string, actor: Actor, responseUrl: string): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: actor.teamId,
    team_domain: 'acme',
    channel_id: actor.channelId,
    channel_name: 'data',
    user_id: actor.userId,
    user_name: 'alice',
    command: '/s3-destination',
    text,
    api_app_id: 'A0APP',
    ...(actor.enterpriseId === undefined
      ? { is_enterprise_install: 'false' }
      : { enterprise_id: actor.enterpriseId, is_enterprise_install: 'true' }),
    response_url: responseUrl,
    trigger_id: `trigger-${Date.now()}`,
  }).toString();
}

/** An interactivity body: `payload=<json>`, form-encoded, as Slack posts it. */
export function interactionBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** view.state.values as Slack sends them for the setup modal, from settings (and the access chosen). */
export function setupStateValues(
  settings: Partial<DestinationSettings>,
  access?: { type: 'bucket_policy' } | { type: 'iam_role'; roleArn?: string },
): Record<string, unknown> {
  const values: Record<string, Record<string, unknown>> = {};
  if (access !== undefined) {
    values[FIELD.accessType] = {
      [FIELD.accessType]: { type: 'radio_buttons', selected_option: { value: access.type } },
    };
    if (access.type === 'iam_role' && access.roleArn !== undefined) {
      values[FIELD.roleArn] = {
        [FIELD.roleArn]: { type: 'plain_text_input', value: access.roleArn },
      };
    }
  }
  if (settings.bucket !== undefined) {
    values[FIELD.bucket] = { [FIELD.bucket]: { type: 'plain_text_input', value: settings.bucket } };
  }
  if (settings.region !== undefined) {
    values[FIELD.region] = {
      [FIELD.region]: { type: 'static_select', selected_option: { value: settings.region } },
    };
  }
  if (settings.format !== undefined) {
    values[FIELD.format] = {
      [FIELD.format]: { type: 'radio_buttons', selected_option: { value: settings.format } },
    };
  }
  if (settings.csvDelimiter !== undefined) {
    values[FIELD.csvDelimiter] = {
      [FIELD.csvDelimiter]: {
        type: 'static_select',
        selected_option: { value: settings.csvDelimiter },
      },
    };
  }
  if (settings.csvForceQuote !== undefined) {
    values[FIELD.csvForceQuote] = {
      [FIELD.csvForceQuote]: {
        type: 'checkboxes',
        selected_options: settings.csvForceQuote ? [{ value: FORCE_QUOTE_OPTION }] : [],
      },
    };
  }
  if (settings.keyTemplate !== undefined) {
    values[FIELD.keyTemplate] = {
      [FIELD.keyTemplate]: { type: 'plain_text_input', value: settings.keyTemplate },
    };
  }
  return values;
}

/** A view_submission payload for the setup modal. */
export function setupSubmissionPayload(
  actor: Actor,
  values: Record<string, unknown>,
  privateMetadata: string,
): unknown {
  return {
    type: 'view_submission',
    team: { id: actor.teamId, domain: 'acme' },
    user: { id: actor.userId, username: 'alice', name: 'alice', team_id: actor.teamId },
    api_app_id: 'A0APP',
    token: 'legacy-verification-token',
    trigger_id: `trigger-${Date.now()}`,
    view: {
      id: 'V0001',
      team_id: actor.teamId,
      type: 'modal',
      callback_id: SETUP_CALLBACK_ID,
      private_metadata: privateMetadata,
      hash: 'hash-1',
      state: { values },
      blocks: [],
      title: { type: 'plain_text', text: 'Connect S3 destination' },
      app_id: 'A0APP',
      bot_id: 'BBOT',
      root_view_id: 'V0001',
      previous_view_id: null,
    },
    response_urls: [],
    ...orgWideFields(actor),
  };
}

/**
 * The view_submission of the confirmation the app pushes over the setup modal for a bucket that
 * is connected already ("Set up again"), carrying the private_metadata the app gave it.
 */
export function resetupConfirmationPayload(actor: Actor, privateMetadata: string): unknown {
  const payload = setupSubmissionPayload(actor, {}, privateMetadata) as {
    view: Record<string, unknown>;
  };
  return {
    ...payload,
    view: {
      ...payload.view,
      id: 'V0002',
      callback_id: RESETUP_CALLBACK_ID,
      title: { type: 'plain_text', text: 'Set up again?' },
      hash: 'hash-3',
      previous_view_id: 'V0001',
    },
  };
}

/** A block_actions payload for one action, from a message (`container`) or a modal (`view`). */
export function blockActionPayload(
  actor: Actor,
  action: Record<string, unknown>,
  where: { responseUrl?: string; view?: Record<string, unknown> },
): unknown {
  return {
    type: 'block_actions',
    team: { id: actor.teamId, domain: 'acme' },
    user: { id: actor.userId, username: 'alice', name: 'alice', team_id: actor.teamId },
    api_app_id: 'A0APP',
    token: 'legacy-verification-token',
    trigger_id: `trigger-${Date.now()}`,
    ...orgWideFields(actor),
    ...(where.view
      ? { container: { type: 'view', view_id: where.view.id }, view: where.view }
      : {
          container: {
            type: 'message',
            message_ts: '1700000000.000200',
            channel_id: actor.channelId,
            is_ephemeral: true,
          },
          channel: { id: actor.channelId, name: 'data' },
          response_url: where.responseUrl,
        }),
    actions: [{ block_id: 'b1', action_ts: String(Date.now() / 1000), ...action }],
  };
}

/** A button click. */
export function buttonAction(actionId: string, value: string): Record<string, unknown> {
  return { type: 'button', action_id: actionId, value, text: { type: 'plain_text', text: 'x' } };
}

/**
 * The Events API body of `app_home_opened`, as Slack posts it (JSON, signed like every request):
 * `actor` opened the app's `tab`; `channel` is their direct-message channel with the app, and
 * `view` the Home view the app published for them before, if any.
 */
export function appHomeOpenedBody(
  actor: Actor,
  options: { tab?: 'home' | 'messages'; channel?: string; view?: Record<string, unknown> } = {},
): string {
  const orgWide = actor.enterpriseId !== undefined;
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: actor.teamId,
    ...(orgWide ? { enterprise_id: actor.enterpriseId, is_enterprise_install: true } : {}),
    api_app_id: 'A0APP',
    event: {
      type: 'app_home_opened',
      user: actor.userId,
      channel: options.channel ?? `D${actor.userId}`,
      tab: options.tab ?? 'home',
      event_ts: String(Date.now() / 1000),
      ...(options.view ? { view: options.view } : {}),
    },
    type: 'event_callback',
    event_id: `Ev${Date.now()}${Math.floor(Math.random() * 1e6)}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      {
        team_id: actor.teamId,
        ...(orgWide ? { enterprise_id: actor.enterpriseId } : {}),
        user_id: 'UBOT',
        is_bot: true,
        is_enterprise_install: orgWide,
      },
    ],
    is_ext_shared_channel: false,
  });
}

/** What a workflow hands the step "Check an S3 destination", and the token Slack gives the step. */
export interface StepRun {
  readonly teamId: string;
  readonly inputs: Record<string, unknown>;
  /** The step's own token (`bot_access_token`), good until the step completes. */
  readonly botAccessToken?: string;
  readonly functionExecutionId?: string;
  /** Enterprise Grid: the organization, when the app is installed org-wide. */
  readonly enterpriseId?: string;
}

/**
 * The Events API body of `function_executed`, as Slack posts it when a workflow reaches the step
 * "Check an S3 destination" (JSON, signed like every request).
 */
export function functionExecutedBody(run: StepRun): string {
  const orgWide = run.enterpriseId !== undefined;
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: run.teamId,
    ...(orgWide ? { enterprise_id: run.enterpriseId, is_enterprise_install: true } : {}),
    api_app_id: 'A0APP',
    event: {
      type: 'function_executed',
      function: {
        id: 'Fn0CHECKS3',
        callback_id: CHECK_STEP_CALLBACK_ID,
        title: 'Check an S3 destination',
        description: 'Checks a connected S3 destination',
        type: 'app',
        input_parameters: [
          { type: 'string', name: 'bucket', title: 'Bucket', is_required: true },
          {
            type: 'slack#/types/channel_id',
            name: 'channel_id',
            title: 'Post the result in',
            is_required: false,
          },
        ],
        output_parameters: [
          { type: 'boolean', name: 'ok', title: 'All checks passed', is_required: true },
          { type: 'string', name: 'summary', title: 'Summary', is_required: true },
          {
            type: 'slack#/types/timestamp',
            name: 'checked_at',
            title: 'Checked at',
            is_required: true,
          },
          { type: 'string', name: 'bucket', title: 'Bucket', is_required: true },
        ],
        app_id: 'A0APP',
        date_created: 1700000000,
        date_updated: 1700000000,
        date_deleted: 0,
      },
      inputs: run.inputs,
      function_execution_id:
        run.functionExecutionId ?? `Fx${Date.now()}${Math.floor(Math.random() * 1e6)}`,
      workflow_execution_id: `Wx${Date.now()}`,
      event_ts: String(Date.now() / 1000),
      bot_access_token: run.botAccessToken ?? 'xwfp-1-step-token-0123456789',
    },
    type: 'event_callback',
    event_id: `Ev${Date.now()}${Math.floor(Math.random() * 1e6)}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      {
        team_id: run.teamId,
        ...(orgWide ? { enterprise_id: run.enterpriseId } : {}),
        user_id: 'UBOT',
        is_bot: true,
        is_enterprise_install: orgWide,
      },
    ],
  });
}

/**
 * The Events API body of `app_uninstalled` or `tokens_revoked` for a workspace, or for an
 * organization when `owner.enterpriseId` is set (an org-wide install), happening at `at`.
 */
export function uninstallEventBody(
  type: 'app_uninstalled' | 'tokens_revoked',
  owner: { teamId: string; enterpriseId?: string },
  at: Date = new Date(),
): string {
  const orgWide = owner.enterpriseId !== undefined;
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: owner.teamId,
    ...(orgWide ? { enterprise_id: owner.enterpriseId, is_enterprise_install: true } : {}),
    api_app_id: 'A0S3DEST',
    event: {
      type,
      ...(type === 'tokens_revoked' ? { tokens: { oauth: [], bot: ['UBOT'] } } : {}),
      event_ts: String(at.getTime() / 1000),
    },
    type: 'event_callback',
    event_id: `Ev${Date.now()}${Math.floor(Math.random() * 1e6)}`,
    event_time: Math.floor(at.getTime() / 1000),
    authorizations: [
      {
        team_id: owner.teamId,
        ...(orgWide ? { enterprise_id: owner.enterpriseId } : {}),
        user_id: 'UBOT',
        is_bot: true,
        is_enterprise_install: orgWide,
      },
    ],
  });
}
