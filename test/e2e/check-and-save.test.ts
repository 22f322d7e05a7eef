import { randomUUID } from 'node:crypto';
import type { DestinationSettings } from '../../src/domain/destination';
import { ACTION } from '../../src/slack/ids';
import { StoreUnavailableError } from '../../src/errors';
import { createRedisStores, type SessionStore, type SetupSession } from '../../src/store';
import {
  destinationKey,
  auditKey,
  historyKey,
  destinationsKey,
  destinationOrderKey,
  destinationOrderVersionKey,
  destinationVersionKey,
  sessionKey,
  verifyLockKey,
} from '../../src/store/keys';
import { CHALLENGE_NOT_FOUND_TEXT } from '../../src/verify/explain';
import { WRITE_CHECK_KEY } from '../../src/verify/report';
import type { S3ClientFactory } from '../../src/verify/s3-clients';
import { S3Verifier } from '../../src/verify/verifier';
import { visibleText } from '../support/message-text';
import { testRedis, type TestRedis } from '../support/redis';
import { startFaultServer, type FaultServer } from '../support/s3-fault-server';
import { localVerifier, LOCAL_S3_REGION, startLocalS3, type LocalS3 } from '../support/s3-local';
import {
  DEFAULT_ACTOR,
  blockActionPayload,
  buttonAction,
  setupStateValues,
  setupSubmissionPayload,
  type Actor,
} from '../support/slack-payloads';
import type { RecordedCall, SlackStandIn } from '../support/slack-stand-in';
import { PRINCIPAL_ARN, startTestApp, type TestApp } from '../support/test-app';
import { destinationSettings } from '../support/fixtures';

const TEAM = DEFAULT_ACTOR.teamId;
const CHALLENGE = /s3-destination-challenge-file-[0-9a-f-]{36}/;
const EXPIRED = 'This setup session has expired: run `/s3-destination setup` again';
const INVALID_BUTTON = 'This button is not valid any more: run `/s3-destination setup` again.';
// Fragments of the bucket policy JSON: none may appear where the team can see it.
const POLICY_FRAGMENTS = [PRINCIPAL_ARN, 'Statement', '2012-10-17', 'S3DestinationListBucket'];

function settingsFor(bucket: string): DestinationSettings {
  return destinationSettings({
    bucket,
    region: LOCAL_S3_REGION,
    format: 'csv',
    csvDelimiter: 'pipe',
    csvForceQuote: true,
  });
}

function newBucketName(): string {
  return `cas-${randomUUID().slice(0, 8)}`;
}

/** What a completed setup left for the user: the button's session id and the challenge name. */
interface CompletedSetup {
  readonly sessionId: string;
  readonly challenge: string;
  readonly settings: DestinationSettings;
  /** The one-time ephemeral with the policy and the challenge name. */
  readonly instructions: RecordedCall;
}

/** The n-th post that reached one response_url, waiting for it to arrive. */
async function waitForPost(slack: SlackStandIn, responseUrl: string, nth = 1) {
  const path = new URL(responseUrl).pathname;
  let seen = 0;
  for (let count = 1; ; count += 1) {
    const call = await slack.waitForCall('response_url', count);
    if (call.body.url === path) {
      seen += 1;
      if (seen === nth) return call;
    }
  }
}

function postsTo(slack: SlackStandIn, responseUrl: string): RecordedCall[] {
  const path = new URL(responseUrl).pathname;
  return slack.callsTo('response_url').filter((call) => call.body.url === path);
}

/** Every message the whole channel can see: chat.postMessage and in_channel response_url posts. */
function teamVisible(slack: SlackStandIn): RecordedCall[] {
  return slack.calls.filter(
    (call) =>
      call.method === 'chat.postMessage' ||
      (call.method === 'response_url' && call.body.response_type === 'in_channel'),
  );
}

/** Every `text` string inside a message, blocks and fields included. */
function shownText(call: RecordedCall): string {
  return visibleText(call.body.blocks);
}

/** Asserts that neither the challenge name nor the policy reached the team or the logs. */
function expectNoSecretsShared(t: TestApp, setup: CompletedSetup): void {
  for (const call of teamVisible(t.slack)) {
    const json = JSON.stringify(call.body);
    expect(json).not.toContain(setup.challenge);
    for (const fragment of POLICY_FRAGMENTS) expect(json).not.toContain(fragment);
  }
  const elsewhere = t.slack.calls.filter((call) => call !== setup.instructions);
  expect(elsewhere.map((call) => JSON.stringify(call)).join('\n')).not.toContain(setup.challenge);
  expect(t.logs.join('\n')).not.toContain(setup.challenge);
}

/** Runs `/s3-destination setup` and submits the modal, as the user would. */
async function completeSetup(
  t: TestApp,
  settings: DestinationSettings,
  actor: Actor = DEFAULT_ACTOR,
): Promise<CompletedSetup> {
  const opened = t.slack.callsTo('views.open').length;
  const command = await t.command('setup', actor);
  expect(command.status).toBe(200);
  const open = await t.slack.waitForCall('views.open', opened + 1);
  const privateMetadata = (open.body.view as { private_metadata: string }).private_metadata;
  const { responseUrl } = JSON.parse(privateMetadata) as { responseUrl: string };

  const submitted = await t.interact(
    setupSubmissionPayload(actor, setupStateValues(settings), privateMetadata),
  );
  expect(submitted.status).toBe(200);

  const instructions = await waitForPost(t.slack, responseUrl);
  const challenge = JSON.stringify(instructions.body).match(CHALLENGE)?.[0];
  const button = (
    instructions.body.blocks as { elements?: { action_id: string; value: string }[] }[]
  )
    .flatMap((block) => block.elements ?? [])
    .find((element) => element.action_id === ACTION.checkAndSave);
  if (!challenge || !button) throw new Error('the setup instructions lack a challenge or button');
  return { sessionId: button.value, challenge, settings, instructions };
}

let clickCount = 0;

/**
 * Clicks a Check and Save button with `value` from the ephemeral message, and asserts the ack:
 * HTTP 200 with an empty body, the work left for after it. Returns the click's response_url.
 */
async function click(t: TestApp, value: string, actor: Actor = DEFAULT_ACTOR): Promise<string> {
  clickCount += 1;
  const responseUrl = t.slack.responseUrl(`check-${clickCount}`);
  const response = await t.interact(
    blockActionPayload(actor, buttonAction(ACTION.checkAndSave, value), { responseUrl }),
  );
  expect(response.status).toBe(200);
  expect(await response.text()).toBe('');
  return responseUrl;
}

/** Waits for the work the app does after its acks, so that "nothing happened" is final. */
async function settle(t: TestApp): Promise<void> {
  if (!(await t.deps.tasks.drain(20_000))) throw new Error('background work did not finish');
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/**
 * The real Redis session store, with a way to hold one read after it returned from Redis: this
 * lets a test put another click's whole check between a click's read of its session and its
 * attempt to take the verification lock, an interleaving that loopback timing alone cannot force.
 */
class HeldSessionStore implements SessionStore {
  private held: { reached: () => void; released: Promise<void> } | undefined;

  constructor(private readonly inner: SessionStore) {}

  /** Holds the next `get` once Redis answered it; `reached` resolves then, `release` lets it go. */
  holdNextGet(): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    this.held = { reached, released };
    return { reached: reachedPromise, release };
  }

  put(session: SetupSession): Promise<void> {
    return this.inner.put(session);
  }

  async get(teamId: string, id: string): Promise<SetupSession | undefined> {
    const session = await this.inner.get(teamId, id);
    const held = this.held;
    this.held = undefined;
    if (held) {
      held.reached();
      await held.released;
    }
    return session;
  }

  delete(teamId: string, id: string): Promise<void> {
    return this.inner.delete(teamId, id);
  }
}

let redis: TestRedis;

beforeAll(async () => {
  redis = await testRedis();
});
afterAll(async () => {
  await redis?.cleanup();
});

describe('Check and Save against a real S3 server, end to end over signed HTTP', () => {
  let s3: LocalS3;
  let clients: S3ClientFactory;
  let verifier: S3Verifier;
  let t: TestApp;

  beforeAll(async () => {
    s3 = await startLocalS3();
    ({ clients: clients, verifier } = localVerifier(s3.endpoint, 5000));
  });
  afterAll(async () => {
    clients?.destroy();
    await s3?.stop();
  });
  beforeEach(async () => {
    t = await startTestApp({ stores: createRedisStores(redis.client, 3600), verifier });
  });
  afterEach(async () => {
    await t.stop();
    await redis.flush();
  });

  async function setUpBucket(): Promise<CompletedSetup> {
    const bucket = newBucketName();
    await s3.createBucket(bucket);
    return completeSetup(t, settingsFor(bucket));
  }

  it('reports a missing challenge file to the channel, keeps the session, then saves once it is uploaded', async () => {
    const setup = await setUpBucket();
    const { bucket } = setup.settings;

    const failedClick = await click(t, setup.sessionId);
    const failure = await t.slack.waitForCall('chat.postMessage');
    await settle(t);

    expect(failure.body.channel).toBe(DEFAULT_ACTOR.channelId);
    const report = shownText(failure);
    expect(report).toContain(`<@${DEFAULT_ACTOR.userId}>`);
    expect(report).toContain(`*Bucket*\n\`${bucket}\``);
    expect(report).toContain('*Region*\nUS East (N. Virginia) · us-east-1');
    expect(report).toContain('*Format*\nCSV, pipe-delimited, all elements quoted');
    expect(report).toContain(
      `:x: *Challenge file*: ${CHALLENGE_NOT_FOUND_TEXT}\nCreate a blank file with no extension`,
    );
    expect(report).toContain(':heavy_minus_sign: *List the bucket*: Not checked');
    expect(report).toContain(':heavy_minus_sign: *Write an object*: Not checked');
    expect(report).toContain(':heavy_minus_sign: *Bucket region*: Skipped');
    expect(report).toContain('Nothing was saved yet.');
    // Nothing is written into a bucket before its challenge file proves it is the user's.
    expect(await s3.objectExists(bucket, WRITE_CHECK_KEY)).toBe(false);
    // The channel was told, so the user gets no second copy, and the instructions stay on screen.
    expect(postsTo(t.slack, failedClick)).toEqual([]);
    expect(await redis.keys()).toEqual([auditKey(TEAM), sessionKey(TEAM, setup.sessionId)]);
    expect(await t.deps.stores.sessions.get(TEAM, setup.sessionId)).not.toHaveProperty('savedAt');
    expect(await t.deps.stores.destinations.list(TEAM)).toEqual([]);

    await s3.putObject(bucket, setup.challenge);
    const successClick = await click(t, setup.sessionId);
    const success = await t.slack.waitForCall('chat.postMessage', 2);
    const replaced = await waitForPost(t.slack, successClick);
    await settle(t);

    expect(success.body.channel).toBe(DEFAULT_ACTOR.channelId);
    expect(shownText(success)).toContain(
      `:white_check_mark: <@${DEFAULT_ACTOR.userId}> connected \`${bucket}\` as an S3 destination.`,
    );
    expect(shownText(success)).toContain(':white_check_mark: *Challenge file*');
    const saved = await t.deps.stores.destinations.get(TEAM, bucket);
    expect(saved).toEqual({
      teamId: TEAM,
      settings: setup.settings,
      challengeKey: setup.challenge,
      channelId: DEFAULT_ACTOR.channelId,
      connectedBy: DEFAULT_ACTOR.userId,
      version: 1,
      connectedAt: saved?.verifiedAt,
      verifiedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      regionCheckedAt: saved?.verifiedAt,
      lastCheck: { at: saved?.verifiedAt, ok: true, summary: 'All checks passed' },
      // The challenge file's owner, as the S3 server reports it: pinned for later checks.
      ownerId: expect.any(String),
    });
    expect((await t.deps.stores.sessions.get(TEAM, setup.sessionId))?.savedAt).toBe(
      saved?.verifiedAt,
    );
    expect(await redis.keys()).toEqual(
      [
        destinationKey(TEAM, bucket),
        destinationsKey(TEAM),
        destinationOrderKey(TEAM),
        destinationOrderVersionKey(TEAM),
        sessionKey(TEAM, setup.sessionId),
        destinationVersionKey(TEAM),
        auditKey(TEAM),
        historyKey(TEAM, bucket),
      ].sort(),
    );
    // The check that saved it opens the destination's history (the App Home's strip).
    expect((await t.deps.stores.history.recent(TEAM, [bucket])).get(bucket)).toEqual([
      { at: saved?.verifiedAt, ok: true },
    ]);

    expect(replaced.body.replace_original).toBe(true);
    expect(replaced.body).not.toHaveProperty('response_type');
    expect(shownText(replaced)).toContain(`\`${bucket}\` is connected and saved.`);
    const replacement = JSON.stringify(replaced.body);
    expect(replacement).not.toContain(setup.challenge);
    expect(replacement).not.toContain(ACTION.checkAndSave);
    for (const fragment of POLICY_FRAGMENTS) expect(replacement).not.toContain(fragment);
    expect(postsTo(t.slack, successClick)).toHaveLength(1);
    expectNoSecretsShared(t, setup);
  });

  it.each([
    [
      'another user of the team',
      { ...DEFAULT_ACTOR, userId: 'U0BOB' },
      `Only <@${DEFAULT_ACTOR.userId}>, who started this setup, can run its Check and Save.`,
    ],
    ['the same user id from another team', { ...DEFAULT_ACTOR, teamId: 'T0OTHER' }, EXPIRED],
  ])('refuses %s with an ephemeral and changes nothing', async (_who, intruder, refusal) => {
    const setup = await setUpBucket();
    const { bucket } = setup.settings;
    await s3.putObject(bucket, setup.challenge);
    const sessionBefore = await redis.client.get(sessionKey(TEAM, setup.sessionId));

    const refusedClick = await click(t, setup.sessionId, intruder);
    const refused = await waitForPost(t.slack, refusedClick);
    await settle(t);

    expect(refused.body).toMatchObject({ response_type: 'ephemeral', text: refusal });
    expect(await redis.client.get(sessionKey(TEAM, setup.sessionId))).toBe(sessionBefore);
    // The audit trail holds the setup; nothing else was written.
    expect(await redis.keys()).toEqual([auditKey(TEAM), sessionKey(TEAM, setup.sessionId)]);
    expect(await s3.objectExists(bucket, WRITE_CHECK_KEY)).toBe(false);
    expect(teamVisible(t.slack)).toEqual([]);

    // The user who started the setup can still finish it.
    await click(t, setup.sessionId);
    await t.slack.waitForCall('chat.postMessage');
    await settle(t);
    expect(await t.deps.stores.destinations.list(TEAM)).toHaveLength(1);
    expect(teamVisible(t.slack)).toHaveLength(1);
  });

  it('tells the user a session that expired in Redis has expired, and checks nothing', async () => {
    const setup = await setUpBucket();
    const key = sessionKey(TEAM, setup.sessionId);
    await redis.client.pexpire(key, 1);
    await until(async () => (await redis.client.exists(key)) === 0, 'the session to expire');

    const expiredClick = await click(t, setup.sessionId);
    const answer = await waitForPost(t.slack, expiredClick);
    await settle(t);

    expect(answer.body).toMatchObject({ response_type: 'ephemeral', text: EXPIRED });
    expect(await s3.objectExists(setup.settings.bucket, WRITE_CHECK_KEY)).toBe(false);
    expect(teamVisible(t.slack)).toEqual([]);
    expect(await redis.keys()).toEqual([auditKey(TEAM)]);
  });

  it('tells the user a session that never existed has expired', async () => {
    const missingClick = await click(t, randomUUID());
    const answer = await waitForPost(t.slack, missingClick);
    await settle(t);

    expect(answer.body).toMatchObject({ response_type: 'ephemeral', text: EXPIRED });
    expect(teamVisible(t.slack)).toEqual([]);
    expect(await redis.keys()).toEqual([]);
  });

  it('answers a repeat click after success without checking, posting or saving again', async () => {
    const setup = await setUpBucket();
    const { bucket } = setup.settings;
    await s3.putObject(bucket, setup.challenge);
    const firstClick = await click(t, setup.sessionId);
    await waitForPost(t.slack, firstClick);
    await settle(t);
    const savedBefore = await redis.client.get(destinationKey(TEAM, bucket));
    await s3.deleteObject(bucket, WRITE_CHECK_KEY);

    const repeatClick = await click(t, setup.sessionId);
    const answer = await waitForPost(t.slack, repeatClick);
    await settle(t);

    expect(answer.body).toMatchObject({
      response_type: 'ephemeral',
      replace_original: false,
      text: `\`${bucket}\` is already connected. See \`/s3-destination list\`.`,
    });
    expect(postsTo(t.slack, repeatClick)).toHaveLength(1);
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(teamVisible(t.slack)).toHaveLength(1);
    expect(await redis.client.get(destinationKey(TEAM, bucket))).toBe(savedBefore);
    expect(await t.deps.stores.destinations.list(TEAM)).toHaveLength(1);
    expect(await s3.objectExists(bucket, WRITE_CHECK_KEY)).toBe(false);
    expectNoSecretsShared(t, setup);
  });

  it('never shows the team the challenge name or the policy, whichever way it is told', async () => {
    const setup = await setUpBucket();
    await click(t, setup.sessionId);
    await t.slack.waitForCall('chat.postMessage');
    await settle(t);
    await s3.putObject(setup.settings.bucket, setup.challenge);
    t.slack.answer('chat.postMessage', { ok: false, error: 'not_in_channel' });

    const successClick = await click(t, setup.sessionId);
    await waitForPost(t.slack, successClick, 2);
    await settle(t);

    const visible = teamVisible(t.slack);
    expect(visible.map((call) => call.method)).toEqual([
      'chat.postMessage',
      'chat.postMessage',
      'response_url',
    ]);
    expect(shownText(visible[0]!)).toContain(CHALLENGE_NOT_FOUND_TEXT);
    expect(shownText(visible[2]!)).toContain('connected');
    // The instructions themselves are for the user alone.
    expect(setup.instructions.body.response_type).toBe('ephemeral');
    expectNoSecretsShared(t, setup);
  });

  it.each(['not_in_channel', 'channel_not_found'])(
    'falls back to the response_url in_channel when chat.postMessage answers %s',
    async (error) => {
      t.slack.answer('chat.postMessage', { ok: false, error });
      const setup = await setUpBucket();

      const failedClick = await click(t, setup.sessionId);
      const failure = await waitForPost(t.slack, failedClick);
      await settle(t);

      expect(t.slack.callsTo('chat.postMessage')).toHaveLength(1);
      expect(failure.body).toMatchObject({ response_type: 'in_channel', replace_original: false });
      expect(shownText(failure)).toContain(CHALLENGE_NOT_FOUND_TEXT);
      expect(postsTo(t.slack, failedClick)).toHaveLength(1);
      expect(await t.deps.stores.destinations.list(TEAM)).toEqual([]);

      await s3.putObject(setup.settings.bucket, setup.challenge);
      const successClick = await click(t, setup.sessionId);
      const connected = await waitForPost(t.slack, successClick, 1);
      const replaced = await waitForPost(t.slack, successClick, 2);
      await settle(t);

      expect(connected.body.response_type).toBe('in_channel');
      expect(shownText(connected)).toContain(`connected \`${setup.settings.bucket}\``);
      expect(replaced.body.replace_original).toBe(true);
      expect(await t.deps.stores.destinations.list(TEAM)).toHaveLength(1);
      expectNoSecretsShared(t, setup);
    },
  );

  it.each([
    ['an empty value', ''],
    ['a value that is not a session id', 'not-a-session'],
    ['another button’s value', JSON.stringify({ bucket: 'acme-data-lake' })],
    ['a key path', `../s3d:{${TEAM}}:destinations`],
    ['an oversized value', 'x'.repeat(2000)],
  ])('answers %s with a clear ephemeral and keeps serving', async (_what, value) => {
    const invalidClick = await click(t, value);
    const answer = await waitForPost(t.slack, invalidClick);
    await settle(t);

    expect(answer.body).toMatchObject({ response_type: 'ephemeral', text: INVALID_BUTTON });
    expect(teamVisible(t.slack)).toEqual([]);
    expect(await redis.keys()).toEqual([]);
    expect(t.logs.join('\n')).not.toContain('unhandled error');

    const setup = await setUpBucket();
    await s3.putObject(setup.settings.bucket, setup.challenge);
    await click(t, setup.sessionId);
    await t.slack.waitForCall('chat.postMessage');
    await settle(t);
    expect(await t.deps.stores.destinations.list(TEAM)).toHaveLength(1);
  });

  it('answers a check_and_save action that is not a button with a clear ephemeral', async () => {
    const responseUrl = t.slack.responseUrl('not-a-button');
    const action = {
      type: 'static_select',
      action_id: ACTION.checkAndSave,
      selected_option: { value: randomUUID() },
    };

    const response = await t.interact(blockActionPayload(DEFAULT_ACTOR, action, { responseUrl }));
    const answer = await waitForPost(t.slack, responseUrl);
    await settle(t);

    expect(response.status).toBe(200);
    expect(answer.body).toMatchObject({ response_type: 'ephemeral', text: INVALID_BUTTON });
    expect(teamVisible(t.slack)).toEqual([]);
  });
});

describe('Check and Save while a check is already running', () => {
  let s3: FaultServer;
  let clients: S3ClientFactory;
  let sessions: HeldSessionStore;
  let t: TestApp;

  beforeAll(async () => {
    s3 = await startFaultServer();
    ({ clients } = localVerifier(s3.endpoint, 15_000));
  });
  afterAll(async () => {
    clients?.destroy();
    await s3?.stop();
  });
  beforeEach(async () => {
    const stores = createRedisStores(redis.client, 3600);
    sessions = new HeldSessionStore(stores.sessions);
    t = await startTestApp({
      stores: { ...stores, sessions },
      verifier: new S3Verifier(clients, { timeoutMs: 15_000 }),
    });
  });
  afterEach(async () => {
    await t.stop();
    await redis.flush();
    s3.reset();
  });

  it('tells a second click that a check is running, and verifies, posts and saves once', async () => {
    const setup = await completeSetup(t, settingsFor(newBucketName()));
    const { bucket } = setup.settings;
    // S3 holds the challenge lookup long enough for the second click to arrive while it waits.
    s3.setFault({ op: 'HeadObject', kind: 'slow', delayMs: 2000 });

    const firstClick = await click(t, setup.sessionId);
    await until(
      () => s3.requests.some((request) => request.operation === 'HeadObject'),
      'the first check to reach S3',
    );
    const secondClick = await click(t, setup.sessionId);
    const busy = await waitForPost(t.slack, secondClick);
    const replaced = await waitForPost(t.slack, firstClick);
    await settle(t);

    expect(busy.body).toMatchObject({
      response_type: 'ephemeral',
      text: `A check of \`${bucket}\` is already running: its result will appear in the channel.`,
    });
    const operations = s3.requests.map((request) => request.operation).sort();
    expect(operations).toEqual([
      'HeadBucket',
      'HeadObject',
      'ListObjectsV2',
      'ListObjectsV2',
      'PutObject',
    ]);
    expect(teamVisible(t.slack)).toHaveLength(1);
    expect(shownText(t.slack.callsTo('chat.postMessage')[0]!)).toContain(`connected \`${bucket}\``);
    expect(replaced.body.replace_original).toBe(true);
    expect(postsTo(t.slack, secondClick)).toHaveLength(1);
    expect(await t.deps.stores.destinations.list(TEAM)).toHaveLength(1);
    // The lock is gone with the check: only the session, the saved destination and its history remain.
    expect(await redis.keys()).toEqual(
      [
        destinationKey(TEAM, bucket),
        destinationsKey(TEAM),
        destinationOrderKey(TEAM),
        destinationOrderVersionKey(TEAM),
        sessionKey(TEAM, setup.sessionId),
        destinationVersionKey(TEAM),
        auditKey(TEAM),
        historyKey(TEAM, bucket),
      ].sort(),
    );
    expectNoSecretsShared(t, setup);
  });
  it('does not check or post again for a click that read its session just before the first saved it', async () => {
    const setup = await completeSetup(t, settingsFor(newBucketName()));
    const { bucket } = setup.settings;
    s3.setFault({ op: 'HeadObject', kind: 'slow', delayMs: 2000 });
    const lock = verifyLockKey(TEAM, setup.sessionId);

    const firstClick = await click(t, setup.sessionId);
    await until(
      () => s3.requests.some((request) => request.operation === 'HeadObject'),
      'the first check to reach S3',
    );
    const secondRead = sessions.holdNextGet();
    const secondClick = await click(t, setup.sessionId);
    await secondRead.reached;
    await waitForPost(t.slack, firstClick);
    await until(async () => !(await redis.keys()).includes(lock), 'the first check to finish');
    secondRead.release();
    const answer = await waitForPost(t.slack, secondClick);
    await settle(t);

    expect(answer.body).toMatchObject({
      response_type: 'ephemeral',
      text: `\`${bucket}\` is already connected. See \`/s3-destination list\`.`,
    });
    expect(s3.requests.filter((request) => request.operation === 'HeadObject')).toHaveLength(1);
    expect(teamVisible(t.slack)).toHaveLength(1);
    expect(postsTo(t.slack, secondClick)).toHaveLength(1);
    expect(await t.deps.stores.destinations.list(TEAM)).toHaveLength(1);
  });
});

/** Sessions whose "saved" mark cannot be written, as when Redis drops between two commands. */
class UnmarkableSessionStore implements SessionStore {
  constructor(private readonly inner: SessionStore) {}

  put(session: SetupSession): Promise<void> {
    if (session.savedAt) return Promise.reject(new StoreUnavailableError(new Error('gone')));
    return this.inner.put(session);
  }

  get(teamId: string, id: string): Promise<SetupSession | undefined> {
    return this.inner.get(teamId, id);
  }

  delete(teamId: string, id: string): Promise<void> {
    return this.inner.delete(teamId, id);
  }
}

describe('Check and Save when the session cannot be marked saved', () => {
  let s3: LocalS3;
  let clients: S3ClientFactory;
  let t: TestApp;

  beforeAll(async () => {
    s3 = await startLocalS3();
    ({ clients } = localVerifier(s3.endpoint, 5000));
    const stores = createRedisStores(redis.client, 3600);
    t = await startTestApp({
      stores: { ...stores, sessions: new UnmarkableSessionStore(stores.sessions) },
      verifier: new S3Verifier(clients, { timeoutMs: 5000 }),
    });
  });
  afterAll(async () => {
    await t?.stop();
    clients?.destroy();
    await s3?.stop();
    await redis.flush();
  });

  it('still tells the team the destination is connected, and a repeat click repeats nothing', async () => {
    const bucket = newBucketName();
    await s3.createBucket(bucket);
    const setup = await completeSetup(t, settingsFor(bucket));
    await s3.putObject(bucket, setup.challenge);

    const firstClick = await click(t, setup.sessionId);
    await waitForPost(t.slack, firstClick);
    await settle(t);
    // A second check would write this object again.
    await s3.deleteObject(bucket, WRITE_CHECK_KEY);
    const repeatClick = await click(t, setup.sessionId);
    const answer = await waitForPost(t.slack, repeatClick);
    await settle(t);

    expect(teamVisible(t.slack)).toHaveLength(1);
    expect(shownText(teamVisible(t.slack)[0])).toContain(`connected \`${bucket}\``);
    expect(await t.deps.stores.destinations.get(TEAM, bucket)).toMatchObject({
      challengeKey: setup.challenge,
    });
    expect(answer.body).toMatchObject({
      text: `\`${bucket}\` is already connected. See \`/s3-destination list\`.`,
    });
    expect(await s3.objectExists(bucket, WRITE_CHECK_KEY)).toBe(false);
    expect(t.logs.some((line) => line.includes('could not mark the session saved'))).toBe(true);
  });
});
