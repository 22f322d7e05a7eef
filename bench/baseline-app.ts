import { App, LogLevel, type types } from '@slack/bolt';
import type { SlackConnection } from '../src/app';
import { ACTION, COMMAND, SETUP_CALLBACK_ID } from '../src/slack/ids';
import { buildSetupModal } from '../src/slack/views/setup-modal';

const ONE_BLOCK_MODAL: types.ModalView = {
  type: 'modal',
  callback_id: SETUP_CALLBACK_ID,
  title: { type: 'plain_text', text: 'Baseline' },
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'One block.' } }],
};

/**
 * The floor the app is measured against: Bolt itself, with the same signing, the same Web API
 * client settings and the same ids, doing the least each surface allows, and logging at warn as a
 * bare app tuned for speed would (at info, Bolt's client formats lines on every call, which made
 * the floor lower than the one an outside load test measures). The command acks and opens a
 * one-block modal (or, with `setupModal`, the app's own setup modal); the submission and the
 * button only ack.
 */
export function createBaselineApp(
  connection: SlackConnection,
  options: { setupModal?: boolean } = {},
): App {
  const app = new App({
    token: connection.botToken,
    signingSecret: connection.signingSecret,
    endpoints: '/slack/events',
    botId: connection.botId,
    botUserId: connection.botUserId,
    logLevel: LogLevel.WARN,
    clientOptions: {
      ...(connection.apiUrl ? { slackApiUrl: connection.apiUrl } : {}),
      retryConfig: { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 500 },
      timeout: 5000,
    },
  });
  app.command(COMMAND, async ({ ack, client, command }) => {
    await ack();
    await client.views.open({
      trigger_id: command.trigger_id,
      view: options.setupModal
        ? buildSetupModal({ channelId: command.channel_id, responseUrl: command.response_url }, [
            'aws',
          ])
        : ONE_BLOCK_MODAL,
    });
  });
  app.view(SETUP_CALLBACK_ID, async ({ ack }) => {
    await ack();
  });
  app.action(ACTION.checkAndSave, async ({ ack }) => {
    await ack();
  });
  return app;
}
