import { botEnvironment, spawnBot, stopBots, type BotProcess } from '../support/bot-process';
import {
  DEFAULT_ACTOR,
  setupStateValues,
  setupSubmissionPayload,
  slashCommandBody,
} from '../support/slack-payloads';
import { startSocketModeStandIn, type SocketModeStandIn } from '../support/slack-socket-stand-in';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { assumedRoleSession, startStsStandIn, type StsStandIn } from '../support/sts-stand-in';
import { BOT_TOKEN, PRINCIPAL_ARN } from '../support/test-app';
import { DEFAULT_KEY_TEMPLATE } from '../../src/domain/key-template';

const APP_TOKEN = 'xapp-1-A0APP-1-socket-mode-test-token';

describe('the bot in Socket Mode, as a process', () => {
  let slack: SlackStandIn;
  let socket: SocketModeStandIn;
  let sts: StsStandIn;
  let bot: BotProcess;

  beforeAll(async () => {
    slack = await startSlackStandIn();
    socket = await startSocketModeStandIn(slack);
    sts = await startStsStandIn(assumedRoleSession(PRINCIPAL_ARN));
    bot = spawnBot(
      botEnvironment({
        SLACK_APP_TOKEN: APP_TOKEN,
        // Socket Mode receives no signed requests, so it needs no signing secret.
        SLACK_SIGNING_SECRET: undefined,
        SLACK_API_URL: slack.apiUrl,
        STS_ENDPOINT: sts.endpoint,
        LOG_LEVEL: 'debug',
      }),
    );
    await socket.connected();
    await bot.waitForLine(/connected to Slack in Socket Mode/);
  });
  afterAll(async () => {
    await stopBots();
    await socket.close();
    await sts.close();
    await slack.close();
  });

  it('opens its connection with the app-level token, and needs no signing secret', () => {
    const open = slack.callsTo('apps.connections.open');
    expect(open).toHaveLength(1);
    expect(bot.stdout.some((line) => line.includes('"mode":"socket"'))).toBe(true);
  });

  it('runs the setup conversation over the socket: modal, then the one-time message', async () => {
    const command = Object.fromEntries(
      new URLSearchParams(slashCommandBody('setup', DEFAULT_ACTOR, slack.responseUrl('sock'))),
    );

    const commandAck = await socket.deliver('slash_commands', command);
    const open = await slack.waitForCall('views.open');

    expect(commandAck.envelope_id).toEqual(expect.any(String));
    expect(open.body.trigger_id).toBe(command.trigger_id);
    const view = open.body.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe('s3_destination_setup');

    const submission = setupSubmissionPayload(
      DEFAULT_ACTOR,
      setupStateValues({
        bucket: 'acme-socket-lake',
        region: 'eu-west-1',
        format: 'jsonl',
        keyTemplate: DEFAULT_KEY_TEMPLATE,
      }),
      view.private_metadata,
    ) as Record<string, unknown>;
    const submitAck = await socket.deliver('interactive', submission);
    const ephemeral = await slack.waitForCall('response_url');

    // An empty acknowledgement closes the modal.
    expect(submitAck.payload ?? {}).toEqual({});
    expect(ephemeral.body.response_type).toBe('ephemeral');
    const shown = JSON.stringify(ephemeral.body.blocks);
    expect(shown).toContain('arn:aws:s3:::acme-socket-lake');
    expect(shown).toMatch(/s3-destination-challenge-file-[0-9a-f-]{36}/);
  });

  it('answers invalid input inline through the socket acknowledgement', async () => {
    const submission = setupSubmissionPayload(
      DEFAULT_ACTOR,
      setupStateValues({
        bucket: 's3://Acme-Lake',
        region: 'us-east-1',
        format: 'jsonl',
        keyTemplate: '[table_name]',
      }),
      JSON.stringify({ channelId: DEFAULT_ACTOR.channelId, responseUrl: slack.responseUrl() }),
    ) as Record<string, unknown>;

    const ack = await socket.deliver('interactive', submission);

    expect(ack.payload).toMatchObject({
      response_action: 'errors',
      errors: { s3_bucket: expect.any(String), s3_key_format_string: expect.any(String) },
    });
  });

  it('never logs the tokens, even at debug level', () => {
    const output = [...bot.stdout, ...bot.stderr].join('\n');
    expect(output).not.toContain(APP_TOKEN);
    expect(output).not.toContain(BOT_TOKEN);
  });

  it('disconnects and exits 0 on SIGTERM', async () => {
    bot.child.kill('SIGTERM');

    expect(await bot.exited()).toBe(0);
  });
});
