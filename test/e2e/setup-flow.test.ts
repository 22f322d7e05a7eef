import { createRedisClient, createRedisStores } from '../../src/store';
import { sessionKey } from '../../src/store/keys';
import { SETUP_CALLBACK_ID } from '../../src/slack/ids';
import {
  DEFAULT_ACTOR,
  blockActionPayload,
  setupStateValues,
  setupSubmissionPayload,
} from '../support/slack-payloads';
import { testRedis, type TestRedis } from '../support/redis';
import { slackSignatureHeaders } from '../support/slack-signer';
import { BOT_TOKEN, SIGNING_SECRET, startTestApp, type TestApp } from '../support/test-app';
import { destinationSettings } from '../support/fixtures';

const CHALLENGE = /s3-destination-challenge-file-[0-9a-f-]{36}/;

const validSettings = destinationSettings({
  bucket: 'acme-data-lake',
  region: 'eu-west-1',
  format: 'csv' as const,
  csvDelimiter: 'pipe' as const,
  csvForceQuote: true,
});

function metadata(t: TestApp): string {
  return JSON.stringify({
    channelId: DEFAULT_ACTOR.channelId,
    responseUrl: t.slack.responseUrl('cmd'),
  });
}

describe('the setup conversation, end to end over signed HTTP', () => {
  let redis: TestRedis;
  let t: TestApp;

  beforeAll(async () => {
    redis = await testRedis();
  });
  afterAll(async () => {
    await redis.cleanup();
  });
  beforeEach(async () => {
    t = await startTestApp({ stores: createRedisStores(redis.client, 3600) });
  });
  afterEach(async () => {
    await t.stop();
  });

  it('opens the setup modal with the trigger_id, the exact ids and where setup started', async () => {
    const response = await t.command('setup');

    expect(response.status).toBe(200);
    const open = await t.slack.waitForCall('views.open');
    expect(open.token).toBe(BOT_TOKEN);
    expect(open.body.trigger_id).toMatch(/^trigger-/);
    const view = open.body.view as {
      callback_id: string;
      private_metadata: string;
      blocks: { block_id?: string; element?: { action_id: string } }[];
    };
    expect(view.callback_id).toBe(SETUP_CALLBACK_ID);
    const inputs = view.blocks
      .filter((b) => b.element)
      .map((b) => [b.block_id, b.element?.action_id]);
    expect(inputs).toEqual([
      ['s3_bucket', 's3_bucket'],
      ['region', 'region'],
      ['access_type', 'access_type'],
      ['output_file_format', 'output_file_format'],
      ['s3_key_format_string', 's3_key_format_string'],
    ]);
    expect(JSON.parse(view.private_metadata)).toEqual({
      channelId: DEFAULT_ACTOR.channelId,
      responseUrl: expect.stringContaining('/response/'),
    });
  });

  it('tells the user when Slack refuses to open the form, and logs why', async () => {
    t.slack.answer('views.open', { ok: false, error: 'expired_trigger_id' });

    const response = await t.command('setup');
    const told = await t.slack.waitForCall('response_url');

    expect(response.status).toBe(200);
    expect(told.body).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.stringify(told.body)).toContain('could not be opened');
    expect(JSON.stringify(told.body)).toContain('/s3-destination setup');
    expect(t.logs.some((line) => line.includes('expired_trigger_id'))).toBe(true);
  });

  it.each(['', 'help'])('answers %j with usage, shown only to the caller', async (text) => {
    const response = await t.command(text);

    const body = (await response.json()) as {
      response_type: string;
      text: string;
      blocks: unknown[];
    };
    expect(body.response_type).toBe('ephemeral');
    expect(JSON.stringify(body.blocks)).toContain('/s3-destination setup');
    expect(t.slack.callsTo('views.open')).toHaveLength(0);
  });

  it('shows the CSV options only while CSV is selected, keeping what was typed', async () => {
    const view = {
      id: 'V0001',
      hash: 'hash-1',
      private_metadata: metadata(t),
      state: {
        values: setupStateValues({ bucket: 'typed-bucket', region: 'us-west-2', format: 'csv' }),
      },
    };
    const toCsv = blockActionPayload(
      DEFAULT_ACTOR,
      { type: 'radio_buttons', action_id: 'output_file_format', selected_option: { value: 'csv' } },
      { view },
    );

    await t.interact(toCsv);
    const update = await t.slack.waitForCall('views.update');

    expect(update.body).toMatchObject({ view_id: 'V0001', hash: 'hash-1' });
    const blocks = (
      update.body.view as { blocks: { block_id?: string; element?: { initial_value?: string } }[] }
    ).blocks;
    const ids = blocks.map((b) => b.block_id);
    expect(ids).toEqual(expect.arrayContaining(['csv_delimiter', 'csv_force_quote']));
    expect(blocks.find((b) => b.block_id === 's3_bucket')?.element?.initial_value).toBe(
      'typed-bucket',
    );

    const toJsonl = blockActionPayload(
      DEFAULT_ACTOR,
      {
        type: 'radio_buttons',
        action_id: 'output_file_format',
        selected_option: { value: 'jsonl' },
      },
      {
        view: { ...view, hash: 'hash-2', state: { values: setupStateValues({ format: 'jsonl' }) } },
      },
    );
    await t.interact(toJsonl);
    const second = await t.slack.waitForCall('views.update', 2);
    expect(second.body.hash).toBe('hash-2');
    const idsAfter = (second.body.view as { blocks: { block_id?: string }[] }).blocks.map(
      (b) => b.block_id,
    );
    expect(idsAfter).not.toContain('csv_delimiter');
    expect(idsAfter).not.toContain('csv_force_quote');
  });

  it('shows every problem inline, keyed by block_id, and saves nothing', async () => {
    const payload = setupSubmissionPayload(
      DEFAULT_ACTOR,
      setupStateValues({
        ...validSettings,
        bucket: 's3://Acme_Data/exports',
        keyTemplate: '[table_name] #x',
      }),
      metadata(t),
    );

    const response = await t.interact(payload);

    const body = (await response.json()) as {
      response_action: string;
      errors: Record<string, string>;
    };
    expect(body.response_action).toBe('errors');
    expect(Object.keys(body.errors).sort()).toEqual(['s3_bucket', 's3_key_format_string']);
    expect(body.errors.s3_bucket).toContain('acme_data');
    expect(body.errors.s3_key_format_string).toContain('[integration_name]');
    expect(body.errors.s3_key_format_string).toContain('#');
    expect(await redis.keys()).toEqual([]);
    expect(t.slack.callsTo('response_url')).toHaveLength(0);
  });

  it('stores a session and sends the policy and challenge to the user alone', async () => {
    const payload = setupSubmissionPayload(
      DEFAULT_ACTOR,
      setupStateValues(validSettings),
      metadata(t),
    );

    const response = await t.interact(payload);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    const ephemeral = await t.slack.waitForCall('response_url');
    expect(ephemeral.body.response_type).toBe('ephemeral');
    const shown = JSON.stringify(ephemeral.body);
    const challenge = shown.match(CHALLENGE)?.[0];
    expect(challenge).toBeDefined();
    expect(shown).toContain('arn:aws:s3:::acme-data-lake/*');
    expect(shown).toContain('aws s3api put-bucket-policy');
    expect(shown).toContain('aws s3api put-object');
    const button = (
      ephemeral.body.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]
    )
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'check_and_save');
    expect(button).toBeDefined();

    const stored = await redis.client.get(sessionKey(DEFAULT_ACTOR.teamId, button!.value));
    expect(JSON.parse(stored!)).toMatchObject({
      userId: DEFAULT_ACTOR.userId,
      channelId: DEFAULT_ACTOR.channelId,
      challengeKey: challenge,
      settings: validSettings,
    });
    const ttl = await redis.client.ttl(sessionKey(DEFAULT_ACTOR.teamId, button!.value));
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);

    // The challenge name is shown once: in that ephemeral, and nowhere else, logs included.
    await t.stop();
    const elsewhere = t.slack.calls
      .filter((call) => call !== ephemeral)
      .map((c) => JSON.stringify(c));
    expect(elsewhere.join('\n')).not.toContain(challenge);
    expect(t.logs.length).toBeGreaterThan(0);
    expect(t.logs.join('\n')).not.toContain(challenge);
    t = await startTestApp();
  });

  it('falls back to chat.postEphemeral when the response_url refuses', async () => {
    t.slack.failResponseUrl(404);
    const payload = setupSubmissionPayload(
      DEFAULT_ACTOR,
      setupStateValues(validSettings),
      metadata(t),
    );

    await t.interact(payload);

    const ephemeral = await t.slack.waitForCall('chat.postEphemeral');
    expect(ephemeral.body).toMatchObject({
      channel: DEFAULT_ACTOR.channelId,
      user: DEFAULT_ACTOR.userId,
    });
    expect(JSON.stringify(ephemeral.body)).toMatch(CHALLENGE);
  });

  const SETUP_COMMAND = 'command=%2Fs3-destination&text=setup';
  const signedAt = (offsetSeconds: number) =>
    slackSignatureHeaders(
      SETUP_COMMAND,
      SIGNING_SECRET,
      Math.floor(Date.now() / 1000) + offsetSeconds,
    );

  it.each([
    [
      'a bad signature',
      () => ({
        'x-slack-signature': 'v0=deadbeef',
        'x-slack-request-timestamp': `${Math.floor(Date.now() / 1000)}`,
      }),
    ],
    ['a stale timestamp', () => signedAt(-600)],
    ['a timestamp ten minutes ahead', () => signedAt(600)],
  ])('refuses a request with %s with 401', async (_name, headers) => {
    const response = await t.post(SETUP_COMMAND, 'application/x-www-form-urlencoded', headers());

    expect(response.status).toBe(401);
    expect(t.slack.callsTo('views.open')).toHaveLength(0);
  });
});

describe('the setup conversation when Redis is down', () => {
  it('keeps the form open with a clear message, saves nothing, and keeps serving', async () => {
    const deadRedis = createRedisClient('redis://127.0.0.1:1', { commandTimeoutMs: 300 });
    const t = await startTestApp({ stores: createRedisStores(deadRedis, 3600) });
    try {
      const payload = setupSubmissionPayload(
        DEFAULT_ACTOR,
        setupStateValues(validSettings),
        JSON.stringify({ channelId: DEFAULT_ACTOR.channelId }),
      );

      const response = await t.interact(payload);

      const body = (await response.json()) as {
        response_action: string;
        view: { blocks: unknown[] };
      };
      expect(body.response_action).toBe('push');
      expect(JSON.stringify(body.view)).toContain('storage is not answering');
      expect(t.slack.callsTo('response_url')).toHaveLength(0);
      expect(t.slack.callsTo('chat.postEphemeral')).toHaveLength(0);

      const next = await t.command('help');
      expect(next.status).toBe(200);
    } finally {
      await t.stop();
      deadRedis.disconnect();
    }
  });
});
