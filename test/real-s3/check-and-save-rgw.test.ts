import { randomUUID } from 'node:crypto';
import type { DestinationSettings } from '../../src/domain/destination';
import { ACTION } from '../../src/slack/ids';
import { IDENTITY_NOT_PROVEN } from '../../src/slack/views/check-result';
import { createMemoryStores } from '../../src/store';
import { CHALLENGE_NOT_FOUND_TEXT } from '../../src/verify/explain';
import { WRITE_CHECK_KEY } from '../../src/verify/report';
import type { S3ClientFactory } from '../../src/verify/s3-clients';
import type { S3Verifier } from '../../src/verify/verifier';
import { visibleText } from '../support/message-text';
import { RGW_REGION, describeWithRgw, startRgw, type Rgw, type RgwUser } from '../support/rgw';
import {
  DEFAULT_ACTOR,
  blockActionPayload,
  buttonAction,
  setupStateValues,
  setupSubmissionPayload,
} from '../support/slack-payloads';
import type { RecordedCall } from '../support/slack-stand-in';
import { startTestApp, type TestApp } from '../support/test-app';
import { BucketOwner, botVerifier } from './bucket-owner';
import { destinationSettings } from '../support/fixtures';

// Check and Save end to end, on an engine that enforces bucket policies: the real app, fed signed
// Slack requests, verifying with the loader's keys; the bucket's owner applies the policy and
// uploads the challenge file exactly as the setup message tells them to.

const START_TIMEOUT_MS = 90_000;
const TEAM = DEFAULT_ACTOR.teamId;
const CHALLENGE = /s3-destination-challenge-file-[0-9a-f-]{36}/;
// The whole policy's code block: the statements alone are an array, the AWS CLI block a command.
const POLICY_BLOCK = /```(\{[\s\S]*?\})```/;

let rgw: Rgw;
let owner: RgwUser;
let loader: RgwUser;
let ownerS3: BucketOwner;
let bot: { verifier: S3Verifier; clients: S3ClientFactory };
let t: TestApp;

describeWithRgw('Check and Save against Ceph RGW', () => {
  beforeAll(async () => {
    rgw = await startRgw();
    owner = await rgw.createUser('owner');
    loader = await rgw.createUser('loader');
    ownerS3 = new BucketOwner(rgw.client(owner));
    bot = botVerifier(rgw, loader);
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    bot?.clients.destroy();
    await rgw?.stop();
  });

  beforeEach(async () => {
    t = await startTestApp({
      stores: createMemoryStores(3600),
      verifier: bot.verifier,
      // RGW has no STS here: the bot starts without proving it is the principal.
      settings: { principals: { aws: loader.arn }, identityProven: false },
    });
  });

  afterEach(() => t.stop());

  /** What the setup message gave the user: the button's session, the challenge name, the policy. */
  interface Instructions {
    readonly sessionId: string;
    readonly challengeKey: string;
    /** The policy as the user copies it from Slack: the code block's text, entities decoded. */
    readonly policy: string;
  }

  function settingsFor(bucket: string): DestinationSettings {
    return destinationSettings({ bucket, region: RGW_REGION, format: 'csv' });
  }

  /** The first post to `responseUrl`, waiting for it to arrive. */
  async function firstPostTo(responseUrl: string): Promise<RecordedCall> {
    const path = new URL(responseUrl).pathname;
    for (let count = 1; ; count += 1) {
      const call = await t.slack.waitForCall('response_url', count);
      if (call.body.url === path) return call;
    }
  }

  /** Runs `/s3-destination setup`, submits the modal, and reads the one-time setup message. */
  async function setUp(bucket: string): Promise<Instructions> {
    expect((await t.command('setup')).status).toBe(200);
    const open = await t.slack.waitForCall('views.open');
    const privateMetadata = (open.body.view as { private_metadata: string }).private_metadata;
    const { responseUrl } = JSON.parse(privateMetadata) as { responseUrl: string };
    const submission = setupSubmissionPayload(
      DEFAULT_ACTOR,
      setupStateValues(settingsFor(bucket)),
      privateMetadata,
    );
    expect((await t.interact(submission)).status).toBe(200);

    const message = await firstPostTo(responseUrl);
    const blocks = message.body.blocks as { text?: { text: string }; elements?: unknown[] }[];
    const button = blocks
      .flatMap((block) => (block.elements ?? []) as { action_id?: string; value?: string }[])
      .find((element) => element.action_id === ACTION.checkAndSave);
    const challengeKey = visibleText(blocks).match(CHALLENGE)?.[0];
    const fenced = blocks
      .map((block) => POLICY_BLOCK.exec(block.text?.text ?? '')?.[1])
      .find((text) => text !== undefined);
    if (!button?.value || !challengeKey || !fenced) {
      throw new Error('the setup message lacks its button, challenge name or policy');
    }
    // Slack shows `&lt;` as `<`: undo the escaping, `&amp;` last.
    const policy = fenced.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    return { sessionId: button.value, challengeKey, policy };
  }

  /** Clicks Check and Save and waits for its result in the channel and whatever follows it. */
  async function checkAndSave(sessionId: string): Promise<string> {
    const responseUrl = t.slack.responseUrl(`check-${randomUUID()}`);
    const click = blockActionPayload(DEFAULT_ACTOR, buttonAction(ACTION.checkAndSave, sessionId), {
      responseUrl,
    });
    expect((await t.interact(click)).status).toBe(200);
    const posted = await t.slack.waitForCall('chat.postMessage');
    if (!(await t.deps.tasks.drain(20_000))) throw new Error('Check and Save did not finish');
    expect(posted.body.channel).toBe(DEFAULT_ACTOR.channelId);
    return visibleText(posted.body.blocks);
  }

  function newBucketName(): string {
    return `cas-${randomUUID().slice(0, 8)}`;
  }

  test('connects a bucket set up as the message says, warning about object ownership', async () => {
    const bucket = newBucketName();
    await ownerS3.createBucket(bucket);
    const instructions = await setUp(bucket);
    await ownerS3.applyPolicy(bucket, instructions.policy);
    await ownerS3.uploadBlank(bucket, instructions.challengeKey);

    const channelText = await checkAndSave(instructions.sessionId);

    expect(channelText).toContain(
      `:white_check_mark: <@${DEFAULT_ACTOR.userId}> connected \`${bucket}\` as an S3 destination, with a warning.`,
    );
    expect(channelText).toContain(
      ":warning: *Object ownership*: Warning: objects the bot writes belong to the bot's AWS account",
    );
    expect(channelText).toContain(IDENTITY_NOT_PROVEN);
    expect(channelText).not.toContain(instructions.challengeKey);
    expect(await t.deps.stores.destinations.get(TEAM, bucket)).toMatchObject({
      challengeKey: instructions.challengeKey,
      ownerId: owner.uid,
      lastCheck: { ok: true, summary: 'All checks passed (warning: Object ownership)' },
    });
    expect(await ownerS3.keys(bucket)).toEqual([WRITE_CHECK_KEY, instructions.challengeKey]);
  });

  test('without the challenge file, tells the channel the 404 and saves and writes nothing', async () => {
    const bucket = newBucketName();
    await ownerS3.createBucket(bucket);
    const instructions = await setUp(bucket);
    await ownerS3.applyPolicy(bucket, instructions.policy);

    const channelText = await checkAndSave(instructions.sessionId);

    expect(channelText).toContain(`:x: *Challenge file*: ${CHALLENGE_NOT_FOUND_TEXT}\n`);
    expect(channelText).toContain('Nothing was saved yet.');
    expect(channelText).toContain(IDENTITY_NOT_PROVEN);
    expect(await t.deps.stores.destinations.list(TEAM)).toEqual([]);
    expect(await ownerS3.keys(bucket)).toEqual([]);
  });
});
