import { randomUUID } from 'node:crypto';
import type { DestinationSettings } from '../../src/domain/destination';
import { RESETUP_CALLBACK_ID } from '../../src/slack/ids';
import { createRedisStores, type SavedDestination } from '../../src/store';
import { RedisSessionIndex, sessionByKey } from '../../src/store/session-index';
import type { S3ClientFactory } from '../../src/verify/s3-clients';
import type { S3Verifier } from '../../src/verify/verifier';
import { clickCheckAndSave, postsTo, readInstructions, waitForPostTo } from '../faults/flow';
import { blockKitViolations } from '../support/block-kit-limits';
import { visibleText } from '../support/message-text';
import { testRedis, type TestRedis } from '../support/redis';
import { LOCAL_S3_REGION, localVerifier, startLocalS3, type LocalS3 } from '../support/s3-local';
import {
  DEFAULT_ACTOR,
  interactionBody,
  resetupConfirmationPayload,
  setupStateValues,
  setupSubmissionPayload,
  type Actor,
} from '../support/slack-payloads';
import type { RecordedCall } from '../support/slack-stand-in';
import { PRINCIPAL_ARN, startTestApp, type TestApp } from '../support/test-app';
import { destinationSettings } from '../support/fixtures';

const TEAM = DEFAULT_ACTOR.teamId;
const BOB: Actor = { ...DEFAULT_ACTOR, userId: 'U0BOB' };
const CHALLENGE = /s3-destination-challenge-file-[0-9a-f-]{36}/g;

function settingsFor(bucket: string, keyTemplate?: string): DestinationSettings {
  return destinationSettings({
    bucket,
    region: LOCAL_S3_REGION,
    ...(keyTemplate === undefined ? {} : { keyTemplate }),
  });
}

let redis: TestRedis;
let t: TestApp;
let responses = 0;

beforeAll(async () => {
  redis = await testRedis();
});
afterAll(async () => {
  await redis.cleanup();
});

async function startApp(verifier?: S3Verifier): Promise<TestApp> {
  return startTestApp({
    stores: createRedisStores(redis.client, 3600),
    sessionIndex: new RedisSessionIndex(redis.client, 3600),
    ...(verifier ? { verifier } : {}),
  });
}

/** Submits the setup modal; the app's answer to the submit, and where its replies go. */
async function submit(settings: DestinationSettings, actor: Actor = DEFAULT_ACTOR) {
  responses += 1;
  const responseUrl = t.slack.responseUrl(`setup-${responses}`);
  const metadata = JSON.stringify({ channelId: actor.channelId, responseUrl });
  const response = await t.post(
    interactionBody(setupSubmissionPayload(actor, setupStateValues(settings), metadata)),
  );
  expect(response.status).toBe(200);
  const text = await response.text();
  return {
    responseUrl,
    answer: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** Submits the confirmation view the app pushed, as Slack sends it. */
async function confirm(view: Record<string, unknown>, actor: Actor = DEFAULT_ACTOR) {
  const payload = resetupConfirmationPayload(actor, view.private_metadata as string);
  const response = await t.post(interactionBody(payload));
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** `/s3-destination <text>`; the ephemeral reply that reached its response_url. */
async function command(text: string, actor: Actor = DEFAULT_ACTOR): Promise<RecordedCall> {
  const before = t.slack.callsTo('response_url').length;
  const response = await t.command(text, actor);
  expect(response.status).toBe(200);
  const body = await response.text();
  if (body !== '') return { method: 'ack', body: JSON.parse(body) as Record<string, unknown> };
  return t.slack.waitForCall('response_url', before + 1);
}

async function settle(): Promise<void> {
  if (!(await t.deps.tasks.drain(20_000))) throw new Error('background work did not finish');
}

describe('/s3-destination policy <bucket>', () => {
  beforeEach(async () => {
    t = await startApp();
  });
  afterEach(async () => {
    await t.stop();
    await redis.flush();
  });

  it("shows the caller's open setup its bucket policy again, and never the challenge name", async () => {
    const bucket = `pol-${randomUUID().slice(0, 8)}`;
    const { responseUrl } = await submit(settingsFor(bucket));
    const instructions = await waitForPostTo(t.slack, responseUrl);
    const { sessionId, challengeKey } = readInstructions(instructions);
    await settle();
    expect(await redis.client.get(sessionByKey(TEAM, DEFAULT_ACTOR.userId, bucket))).toBe(
      sessionId,
    );

    const reply = await command(`policy ${bucket}`);

    expect(reply.body.response_type).toBe('ephemeral');
    const text = visibleText(reply.body);
    expect(text).toContain(`The bucket policy for \`${bucket}\`, from the setup you started`);
    expect(text).toContain(PRINCIPAL_ARN);
    expect(text).toContain(`arn:aws:s3:::${bucket}/*`);
    expect(text).toContain('keep every statement it has');
    expect(text).toContain('--policy file://s3-destination-policy.json');
    expect(JSON.stringify(reply.body)).not.toContain(challengeKey);
    expect(JSON.stringify(reply.body)).not.toMatch(CHALLENGE);
    expect(blockKitViolations(reply.body as never, 'message')).toEqual([]);
    expect(t.slack.callsTo('chat.postMessage')).toEqual([]);
  });

  it('shows any member the policy of a saved destination, never its challenge name', async () => {
    const bucket = `pol-${randomUUID().slice(0, 8)}`;
    const challengeKey = `s3-destination-challenge-file-${randomUUID()}`;
    await t.deps.stores.destinations.save({
      teamId: TEAM,
      settings: { ...settingsFor(bucket), region: 'eu-west-1' },
      challengeKey,
      channelId: DEFAULT_ACTOR.channelId,
      connectedBy: DEFAULT_ACTOR.userId,
      verifiedAt: new Date().toISOString(),
      lastCheck: { at: new Date().toISOString(), ok: true, summary: 'All checks passed' },
    } satisfies Omit<SavedDestination, 'version'>);

    const reply = await command(`policy ${bucket}`, BOB);

    const text = visibleText(reply.body);
    expect(text).toContain(
      `The bucket policy for the saved destination \`${bucket}\` (Europe (Ireland) · eu-west-1)`,
    );
    expect(text).toContain(PRINCIPAL_ARN);
    expect(text).toContain(
      `--bucket ${bucket} --region eu-west-1 --policy file://s3-destination-policy.json`,
    );
    expect(text).toContain('The challenge file name is never shown again.');
    expect(JSON.stringify(reply.body)).not.toContain(challengeKey);
  });

  it("does not show another user's open setup, and says what to do", async () => {
    const bucket = `pol-${randomUUID().slice(0, 8)}`;
    const { responseUrl } = await submit(settingsFor(bucket));
    await waitForPostTo(t.slack, responseUrl);
    await settle();

    const reply = await command(`policy ${bucket}`, BOB);

    expect(visibleText(reply.body)).toBe(
      `No saved destination and no setup of yours is called \`${bucket}\` in this workspace. See \`/s3-destination list\`, or run \`/s3-destination setup\` to connect it.`,
    );
  });

  it('says a pasted URL is not a bucket name, and asks for the bucket when none is given', async () => {
    const pasted = await command('policy s3://acme-data-lake/exports');
    const missing = await command('policy');

    expect(visibleText(pasted.body)).toContain('is not a bucket name');
    expect(visibleText(missing.body)).toContain(
      'Name the bucket: `/s3-destination policy <bucket>`.',
    );
  });
});

describe('setting up a connected bucket again', () => {
  let s3: LocalS3;
  let clients: S3ClientFactory;
  let verifier: S3Verifier;

  beforeAll(async () => {
    s3 = await startLocalS3();
    ({ clients, verifier } = localVerifier(s3.endpoint, 5000));
  });
  afterAll(async () => {
    clients?.destroy();
    await s3?.stop();
  });
  beforeEach(async () => {
    t = await startApp(verifier);
  });
  afterEach(async () => {
    await t.stop();
    await redis.flush();
  });

  /** A bucket connected the usual way: setup, upload, Check and Save. */
  async function connect(bucket: string) {
    await s3.createBucket(bucket);
    const { responseUrl } = await submit(settingsFor(bucket));
    const first = readInstructions(await waitForPostTo(t.slack, responseUrl));
    await s3.putObject(bucket, first.challengeKey);
    await clickCheckAndSave(t, first.sessionId, t.slack.responseUrl(`cas-${first.sessionId}`));
    await settle();
    const saved = await t.deps.stores.destinations.get(TEAM, bucket);
    if (!saved) throw new Error('the first setup was not saved');
    return saved;
  }

  it('asks to confirm, keeps the saved destination until the new check passes, then replaces it', async () => {
    const bucket = `again-${randomUUID().slice(0, 8)}`;
    const before = await connect(bucket);
    const keysBefore = await redis.keys();
    const newTemplate =
      'exports/[integration_name]/[table_name]/[table_version]_[timestamp_loaded]';

    // Submit: a confirmation pushed over the form, and nothing started yet.
    const submitted = await submit(settingsFor(bucket, newTemplate));
    expect(submitted.answer?.response_action).toBe('push');
    const confirmation = submitted.answer?.view as Record<string, unknown>;
    expect(confirmation.callback_id).toBe(RESETUP_CALLBACK_ID);
    expect(visibleText(confirmation.blocks)).toContain(
      `\`${bucket}\` is already connected in this workspace`,
    );
    expect(postsTo(t.slack, submitted.responseUrl)).toEqual([]);
    expect(await redis.keys()).toEqual(keysBefore);

    // Set up again: the form closes and new instructions arrive, saying what stays.
    const confirmed = await confirm(confirmation);
    expect(confirmed).toEqual({ response_action: 'clear' });
    const instructions = await waitForPostTo(t.slack, submitted.responseUrl);
    const again = readInstructions(instructions);
    expect(again.challengeKey).not.toBe(before.challengeKey);
    expect(visibleText(instructions.body)).toContain(
      `\`${bucket}\` is connected already, and stays as it is until this setup’s *Check and Save* passes`,
    );
    expect(await t.deps.stores.sessions.get(TEAM, again.sessionId)).toMatchObject({
      settings: settingsFor(bucket, newTemplate),
    });
    await settle();

    // The new check fails (its file is not uploaded yet): the saved destination is untouched.
    await clickCheckAndSave(t, again.sessionId, t.slack.responseUrl('cas-again-1'));
    await settle();
    expect(await t.deps.stores.destinations.list(TEAM)).toEqual([before]);

    // Once it passes, the destination is replaced and the channel told it was updated.
    await s3.putObject(bucket, again.challengeKey);
    await clickCheckAndSave(t, again.sessionId, t.slack.responseUrl('cas-again-2'));
    await settle();
    const after = await t.deps.stores.destinations.get(TEAM, bucket);
    expect(after).toMatchObject({
      challengeKey: again.challengeKey,
      settings: settingsFor(bucket, newTemplate),
    });
    expect(after?.version).toBeGreaterThan(before.version);
    const told = t.slack.callsTo('chat.postMessage').at(-1);
    expect(visibleText(told?.body)).toContain(
      `<@${DEFAULT_ACTOR.userId}> set up \`${bucket}\` again: the destination is updated.`,
    );
    expect(JSON.stringify(told?.body)).not.toContain(again.challengeKey);
  });

  it('starts nothing when the storage fails at the confirmation, and says so', async () => {
    const bucket = `again-${randomUUID().slice(0, 8)}`;
    await connect(bucket);
    const submitted = await submit(settingsFor(bucket));
    const confirmation = submitted.answer?.view as Record<string, unknown>;
    const put = t.deps.stores.sessions.put;
    t.deps.stores.sessions.put = () => Promise.reject(new Error('Redis is away'));
    try {
      const answer = await confirm(confirmation);

      expect(answer.response_action).toBe('update');
      expect(JSON.stringify(answer.view)).toContain('storage is not answering');
      expect(postsTo(t.slack, submitted.responseUrl)).toEqual([]);
    } finally {
      t.deps.stores.sessions.put = put;
    }
  });

  it('refuses a confirmation whose settings were tampered with', async () => {
    const tampered = {
      private_metadata: JSON.stringify({
        channelId: DEFAULT_ACTOR.channelId,
        settings: settingsFor('s3://not-a-bucket'),
      }),
    };

    const answer = await confirm(tampered);

    expect(answer.response_action).toBe('update');
    expect(JSON.stringify(answer.view)).toContain('This form is out of date');
    expect(await redis.keys()).toEqual([]);
  });
});
