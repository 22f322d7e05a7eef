import fc from 'fast-check';
import { ACTION, FIELD, FORCE_QUOTE_OPTION } from '../../src/slack/ids';
import { blockKitViolations } from '../support/block-kit-limits';
import {
  DEFAULT_ACTOR,
  blockActionPayload,
  interactionBody,
  setupSubmissionPayload,
  type Actor,
} from '../support/slack-payloads';
import type { TestApp } from '../support/test-app';
import {
  CHALLENGE,
  VALID_SETTINGS,
  commandBody,
  postsTo,
  submitSetup,
  waitForCallWhere,
  waitForPostTo,
  waitUntil,
  watchProcessFailures,
  startAppOverFaultyS3,
  type AppOverFaultyS3,
} from './flow';
import { visibleText } from '../support/message-text';

const RUNS = { numRuns: 60 };
const FIELD_IDS: readonly string[] = Object.values(FIELD);
const OTHER_USER: Actor = { ...DEFAULT_ACTOR, userId: 'U0MALLORY' };

// Text a user, a client or a forger could send: any code points (lone surrogates included),
// grapheme clusters, and sizes far beyond what Slack's inputs allow.
const anyText = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 3000, maxLength: 12000 }) },
);
const wrongType = fc.jsonValue({ maxDepth: 2 });
const likely = <T>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: other });

const bucketText = likely(
  fc.constantFrom(VALID_SETTINGS.bucket, ' acme-data-lake ', 'logs.example.com'),
  fc.oneof(
    anyText,
    fc.constantFrom(
      's3://acme-data-lake/x',
      'arn:aws:s3:::acme-data-lake',
      'ACME',
      'xn--b',
      '10.0.0.1',
    ),
  ),
);
const regionText = likely(fc.constantFrom('us-east-1', 'eu-west-1', 'cn-north-1'), anyText);
const formatText = likely(fc.constantFrom('jsonl', 'csv'), anyText);
const delimiterText = likely(fc.constantFrom('comma', 'pipe', 'tab'), anyText);
const templateText = likely(
  fc.constantFrom(
    VALID_SETTINGS.keyTemplate,
    '[integration_name]/[table_name]/[year_loaded]/[table_version]_[timestamp_loaded]',
  ),
  fc.oneof(
    anyText,
    fc
      .tuple(anyText, anyText)
      .map(([before, after]) => `${before}${VALID_SETTINGS.keyTemplate}${after}`),
  ),
);

const plainTextInput = (text: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ type: fc.constant('plain_text_input'), value: text }) },
    fc.record({
      type: fc.constant('plain_text_input'),
      value: fc.oneof(fc.constant(null), wrongType),
    }),
    fc.constant({}),
    wrongType,
  );
const selectInput = (text: fc.Arbitrary<string>) =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        type: fc.constantFrom('static_select', 'radio_buttons'),
        selected_option: fc.record({ value: text }),
      }),
    },
    fc.record({ selected_option: fc.oneof(fc.constant(null), wrongType) }),
    fc.record({ selected_option: fc.record({ value: wrongType }) }),
    wrongType,
  );
const checkboxesInput = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('checkboxes'),
      selected_options: fc.array(
        fc.record({ value: likely(fc.constant(FORCE_QUOTE_OPTION), anyText) }),
        { maxLength: 3 },
      ),
    }),
  },
  fc.record({ selected_options: fc.oneof(fc.constant(null), wrongType) }),
  wrongType,
);
/** One input block as Slack nests it (`values[block_id][action_id]`), sometimes with extras. */
const block = (field: string, element: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 6, arbitrary: element.map((value) => ({ [field]: value })) },
    fc
      .tuple(element, fc.dictionary(fc.string(), wrongType, { maxKeys: 2 }))
      .map(([value, extra]) => ({ ...extra, [field]: value })),
    wrongType,
  );
/** A field that is usually well formed and valid, sometimes anything at all. */
const field = (id: string, valid: fc.Arbitrary<unknown>, wild: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 5, arbitrary: valid.map((element) => ({ [id]: element })) },
    { weight: 1, arbitrary: block(id, wild) },
  );
const validText = (value: fc.Arbitrary<string>) => value.map((v) => ({ value: v }));
const validOption = (value: fc.Arbitrary<string>) =>
  value.map((v) => ({ selected_option: { value: v } }));
const stateFields = {
  [FIELD.bucket]: field(
    FIELD.bucket,
    validText(fc.constantFrom(VALID_SETTINGS.bucket, 'logs.example.com')),
    plainTextInput(bucketText),
  ),
  [FIELD.region]: field(
    FIELD.region,
    validOption(fc.constantFrom('us-east-1', 'eu-west-1', 'cn-north-1')),
    selectInput(regionText),
  ),
  [FIELD.format]: field(
    FIELD.format,
    validOption(fc.constantFrom('jsonl', 'csv')),
    selectInput(formatText),
  ),
  [FIELD.csvDelimiter]: field(
    FIELD.csvDelimiter,
    validOption(fc.constantFrom('comma', 'pipe', 'tab')),
    selectInput(delimiterText),
  ),
  [FIELD.csvForceQuote]: field(FIELD.csvForceQuote, checkboxesInput, wrongType),
  [FIELD.keyTemplate]: field(
    FIELD.keyTemplate,
    validText(fc.constant(VALID_SETTINGS.keyTemplate)),
    plainTextInput(templateText),
  ),
};
const stateValues = fc
  .tuple(
    fc.oneof(
      { weight: 3, arbitrary: fc.record(stateFields) },
      { weight: 1, arbitrary: fc.record(stateFields, { requiredKeys: [] }) },
    ),
    fc.dictionary(fc.string(), wrongType, { maxKeys: 2 }),
  )
  .map(([fields, extra]) => ({ ...extra, ...fields }));
const viewState = fc.oneof(
  { weight: 8, arbitrary: stateValues.map((values) => ({ values })) },
  fc.constant(undefined),
  wrongType,
);
/** `valid` stands for this run's own well-formed metadata. */
const privateMetadata = likely(fc.constant('valid' as const), fc.oneof(anyText, wrongType));

describe('arbitrary input through the signed HTTP receiver', () => {
  let t: TestApp;
  let app: AppOverFaultyS3;
  let watcher: ReturnType<typeof watchProcessFailures>;
  let run = 0;
  const nextResponseUrl = () => t.slack.responseUrl(`fuzz-${++run}`);

  beforeAll(async () => {
    watcher = watchProcessFailures();
    app = await startAppOverFaultyS3(2000);
    ({ t } = app);
  });
  afterAll(async () => {
    await app.stop();
    watcher.stop();
  });
  afterEach(() => {
    expect(watcher.failures).toEqual([]);
  });

  it('answers every setup modal state with inline errors naming fields, or the instructions', async () => {
    const seen = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(viewState, privateMetadata, async (state, metadata) => {
        const responseUrl = nextResponseUrl();
        const payload = setupSubmissionPayload(DEFAULT_ACTOR, {}, '') as {
          view: Record<string, unknown>;
        };
        payload.view.private_metadata =
          metadata === 'valid'
            ? JSON.stringify({ channelId: DEFAULT_ACTOR.channelId, responseUrl })
            : metadata;
        payload.view.state = state;

        const response = await t.interact(payload);

        expect(response.status).toBe(200);
        const raw = await response.text();
        if (raw === '') {
          const instructions = await waitForPostTo(t.slack, responseUrl);
          expect(instructions.body.response_type).toBe('ephemeral');
          expect(visibleText(instructions.body)).toMatch(CHALLENGE);
          seen.accepted += 1;
          return;
        }
        const body = JSON.parse(raw) as {
          response_action: string;
          errors: Record<string, unknown>;
        };
        expect(body.response_action).toBe('errors');
        const errors = Object.entries(body.errors);
        expect(errors.length).toBeGreaterThan(0);
        for (const [field, message] of errors) {
          expect(FIELD_IDS).toContain(field);
          expect(typeof message === 'string' && message.trim().length > 0).toBe(true);
        }
        seen.refused += 1;
      }),
      RUNS,
    );
    // Both answers were exercised, not just the refusal.
    expect(seen.accepted).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  });

  it('keeps the modal valid whatever state the format toggle carries', async () => {
    await fc.assert(
      fc.asyncProperty(viewState, likely(formatText, wrongType), async (state, selected) => {
        const viewId = `V-fuzz-${++run}`;
        const view = {
          id: viewId,
          hash: 'hash-1',
          private_metadata: JSON.stringify({ channelId: DEFAULT_ACTOR.channelId }),
          state,
        };
        const payload = blockActionPayload(
          DEFAULT_ACTOR,
          { type: 'radio_buttons', action_id: FIELD.format, selected_option: { value: selected } },
          { view },
        );

        const response = await t.interact(payload);

        expect(response.status).toBe(200);
        const update = await waitForCallWhere(t.slack, 'views.update', (b) => b.view_id === viewId);
        const modal = update.body.view as Parameters<typeof blockKitViolations>[0];
        expect(blockKitViolations(modal, 'modal')).toEqual([]);
      }),
      RUNS,
    );
  });

  it('answers every Check and Save button value with a clear message', async () => {
    const ownerResponseUrl = nextResponseUrl();
    const { sessionId } = await submitSetup(t, t.slack, { responseUrl: ownerResponseUrl });
    const action = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          type: fc.constant('button'),
          value: fc.oneof(anyText, fc.uuid(), fc.constant(sessionId)),
        }),
      },
      fc.record({ type: fc.oneof(fc.constant('button'), anyText), value: wrongType }),
    );

    await fc.assert(
      fc.asyncProperty(
        action,
        fc.constantFrom(DEFAULT_ACTOR, OTHER_USER),
        async (clicked, actor) => {
          const responseUrl = nextResponseUrl();
          const payload = blockActionPayload(
            actor,
            { ...clicked, action_id: ACTION.checkAndSave },
            { responseUrl },
          );

          const response = await t.interact(payload);

          expect(response.status).toBe(200);
          const reply = await waitForPostTo(t.slack, responseUrl);
          expect(visibleText(reply.body).trim()).not.toBe('');
          expect(blockKitViolations(reply.body as never, 'message')).toEqual([]);
        },
      ),
      RUNS,
    );
    // The real session was among the values: its owner's click connected the bucket.
    const results = t.slack.callsTo('chat.postMessage').map((call) => visibleText(call.body));
    expect(results.some((text) => text.includes('connected `acme-data-lake`'))).toBe(true);
  });

  it('answers every Remove and Cancel button value with a clear message', async () => {
    const value = fc.oneof(
      anyText,
      fc
        .record({ bucket: fc.oneof(anyText, fc.constant(VALID_SETTINGS.bucket)) })
        .map((v) => JSON.stringify(v)),
      wrongType.map((v) => JSON.stringify(v)),
    );

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(ACTION.confirmRemove, ACTION.cancelRemove),
        value,
        async (actionId, buttonValue) => {
          const responseUrl = nextResponseUrl();
          const payload = blockActionPayload(
            DEFAULT_ACTOR,
            { type: 'button', action_id: actionId, value: buttonValue },
            { responseUrl },
          );

          const response = await t.interact(payload);

          expect(response.status).toBe(200);
          const reply = await waitForPostTo(t.slack, responseUrl);
          expect(visibleText(reply.body).trim()).not.toBe('');
          expect(blockKitViolations(reply.body as never, 'message')).toEqual([]);
        },
      ),
      RUNS,
    );
  });

  it('answers every slash command text with usage, a form, or a clear message', async () => {
    const text = fc.oneof(
      anyText,
      fc.constantFrom('', 'setup', 'list', 'help', 'verify', 'remove', 'LIST', 'stup', 'hlep'),
      fc
        .tuple(fc.constantFrom('verify', 'remove', 'setup', 'list'), anyText)
        .map(([subcommand, rest]) => `${subcommand} ${rest}`),
      fc
        .tuple(
          fc.constantFrom('verify', 'remove'),
          fc.constantFrom('acme-data-lake', 'no-such-one'),
        )
        .map(([subcommand, bucket]) => `  ${subcommand}\t${bucket}  `),
    );

    await fc.assert(
      fc.asyncProperty(text, async (commandText) => {
        const responseUrl = nextResponseUrl();
        const triggerId = `trigger-fuzz-${run}`;

        const response = await t.post(commandBody(commandText, responseUrl, triggerId));

        expect(response.status).toBe(200);
        const raw = await response.text();
        if (raw !== '') {
          const body = JSON.parse(raw) as Record<string, unknown>;
          expect(body.response_type).toBe('ephemeral');
          expect(visibleText(body).trim()).not.toBe('');
          expect(blockKitViolations({ blocks: [], ...body } as never, 'message')).toEqual([]);
          return;
        }
        await waitUntil(
          () =>
            postsTo(t.slack, responseUrl).length > 0 ||
            t.slack.callsTo('views.open').some((call) => call.body.trigger_id === triggerId),
          `an answer to ${JSON.stringify(commandText.slice(0, 40))}`,
        );
        for (const reply of postsTo(t.slack, responseUrl)) {
          expect(visibleText(reply.body).trim()).not.toBe('');
        }
      }),
      RUNS,
    );
    // Each `verify` of a valid name answers later too; let those finish inside this test.
    await t.deps.tasks.drain(10000);
  });

  it('rejects malformed requests without a 5xx and keeps serving', async () => {
    const actor = { user: { id: 'U0ALICE', team_id: 'T0TEST' }, team: { id: 'T0TEST' } };
    const button = { action_id: ACTION.checkAndSave, type: 'button', value: 'x' };
    const malformed: [string, string, string?][] = [
      ['a payload that is not JSON', 'payload=%7Bnot%20json'],
      ['an empty payload', 'payload='],
      ['a JSON null payload', interactionBody(null)],
      ['a number payload', interactionBody(1)],
      ['an array payload', interactionBody([])],
      ['a payload without a type', interactionBody({})],
      ['an unknown payload type', interactionBody({ type: 'zzz', ...actor })],
      ['a numeric payload type', interactionBody({ type: 5, ...actor })],
      ['block actions and nothing else', interactionBody({ type: 'block_actions' })],
      [
        'block actions without a user',
        interactionBody({ type: 'block_actions', actions: [button] }),
      ],
      [
        'block actions with a string user',
        interactionBody({ type: 'block_actions', user: 'U1', team: 'T1', actions: [button] }),
      ],
      [
        'block actions without actions',
        interactionBody({ type: 'block_actions', ...actor, actions: [] }),
      ],
      [
        'block actions with a null action',
        interactionBody({ type: 'block_actions', ...actor, actions: [null] }),
      ],
      [
        'a format toggle without a view',
        interactionBody({
          type: 'block_actions',
          ...actor,
          actions: [{ action_id: FIELD.format, type: 'radio_buttons' }],
        }),
      ],
      [
        'a remove click without a user',
        interactionBody({
          type: 'block_actions',
          actions: [{ action_id: ACTION.confirmRemove, type: 'button', value: '{"bucket":"abc"}' }],
        }),
      ],
      ['a view submission and nothing else', interactionBody({ type: 'view_submission' })],
      [
        'a view submission without a user',
        interactionBody({ type: 'view_submission', view: { callback_id: 's3_destination_setup' } }),
      ],
      [
        'a view submission with a null view',
        interactionBody({ type: 'view_submission', ...actor, view: null }),
      ],
      [
        'a view submission with a string view',
        interactionBody({ type: 'view_submission', ...actor, view: 'x' }),
      ],
      [
        'a view submission without state or metadata',
        interactionBody({
          type: 'view_submission',
          ...actor,
          view: { callback_id: 's3_destination_setup' },
        }),
      ],
      ['a form body that is not a form', 'garbage'],
      ['an empty body', ''],
      ['a command without text', 'command=%2Fs3-destination'],
      ['a command without a user or team', 'command=%2Fs3-destination&text=list'],
      ['another app’s command', 'command=%2Fother&text=help&team_id=T1&user_id=U1'],
      ['broken JSON', '{', 'application/json'],
      ['JSON null', 'null', 'application/json'],
      ['a JSON array', '[1]', 'application/json'],
      ['plain text', 'hello', 'text/plain'],
    ];

    const statuses = await Promise.all(
      malformed.map(async ([name, body, contentType]) => {
        const response = await t.post(body, contentType);
        await response.text();
        return [name, response.status] as const;
      }),
    );

    expect(statuses.filter(([, status]) => status >= 500)).toEqual([]);
    const help = await t.command('help');
    expect(help.status).toBe(200);
    expect(visibleText(await help.json())).toContain('/s3-destination setup');
  });

  it('still refuses an unsigned request with 401 and an oversized one with 413', async () => {
    const unsigned = await t.post(interactionBody(null), undefined, {
      'x-slack-signature': 'v0=deadbeef',
      'x-slack-request-timestamp': `${Math.floor(Date.now() / 1000)}`,
    });
    const oversized = await t.post(`payload=${'x'.repeat(5 * 1024 * 1024)}`);

    expect(unsigned.status).toBe(401);
    expect(oversized.status).toBe(413);
  });
});
