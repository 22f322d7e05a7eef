import { randomUUID } from 'node:crypto';
import { createRedisStores, type Stores } from '../../src/store';
import { WORKFLOW_ACTOR } from '../../src/store/audit';
import { verifyLockKey } from '../../src/store/keys';
import type { SavedDestination } from '../../src/store/types';
import { S3Verifier } from '../../src/verify/verifier';
import { CHALLENGE_NOT_FOUND_TEXT } from '../../src/verify/explain';
import { savedDestination } from '../support/fixtures';
import { visibleText } from '../support/message-text';
import { testRedis, type TestRedis } from '../support/redis';
import { startFaultServer, type FaultServer } from '../support/s3-fault-server';
import { localVerifier } from '../support/s3-local';
import {
  DEFAULT_ACTOR,
  appHomeOpenedBody,
  functionExecutedBody,
  type StepRun,
} from '../support/slack-payloads';
import type { RecordedCall } from '../support/slack-stand-in';
import { BOT_TOKEN, startTestApp, type TestApp } from '../support/test-app';

const TEAM = 'T0TEST';
const OTHER_TEAM = 'T0OTHER';
const STEP_TOKEN = 'xwfp-1-step-token-0123456789';

let redis: TestRedis;
let s3: FaultServer;
let clients: ReturnType<typeof localVerifier>['clients'];
let seeded: Stores;
let t: TestApp;

beforeAll(async () => {
  redis = await testRedis();
  s3 = await startFaultServer();
  ({ clients } = localVerifier(s3.endpoint, 2000));
  seeded = createRedisStores(redis.client, 3600);
});
afterAll(async () => {
  clients.destroy();
  await s3.stop();
  await redis.cleanup();
});
beforeEach(async () => {
  s3.reset();
  t = await startTestApp({
    stores: createRedisStores(redis.client, 3600),
    verifier: new S3Verifier(clients, { timeoutMs: 2000 }),
  });
});
afterEach(async () => {
  await t.stop();
  await redis.flush();
});

/** A destination of `teamId` saved in the store; its challenge file is in the bucket when `present`. */
async function connected(
  teamId = TEAM,
  bucket = `acme-lake-${randomUUID().slice(0, 8)}`,
  present = true,
): Promise<SavedDestination> {
  const destination = {
    ...savedDestination(teamId, bucket),
    challengeKey: `s3-destination-challenge-file-${randomUUID()}`,
  };
  await seeded.destinations.save(destination);
  if (present) s3.addObject(destination.challengeKey);
  else s3.setFault({ op: 'HeadObject', kind: 'NotFound' });
  return destination;
}

/** Runs the step as a workflow would; resolves with its one completion call, success or error. */
async function runStep(
  inputs: Record<string, unknown>,
  run: Partial<StepRun> = {},
): Promise<RecordedCall> {
  const id = `Fx${randomUUID().slice(0, 8)}`;
  const body = functionExecutedBody({
    teamId: TEAM,
    inputs,
    functionExecutionId: id,
    botAccessToken: STEP_TOKEN,
    ...run,
  });
  const response = await t.post(body, 'application/json');
  expect(response.status).toBe(200);
  const mine = (call: RecordedCall) =>
    call.method.startsWith('functions.') && call.body.function_execution_id === id;
  const until = Date.now() + 10_000;
  while (!t.slack.calls.some(mine)) {
    if (Date.now() > until) throw new Error('the step did not complete');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(await t.deps.tasks.drain(5000)).toBe(true);
  const completions = t.slack.calls.filter(mine);
  expect(completions).toHaveLength(1);
  return completions[0];
}

function outputsOf(call: RecordedCall) {
  expect(call.method).toBe('functions.completeSuccess');
  return call.body.outputs as { ok: boolean; summary: string; checked_at: number; bucket: string };
}

function errorOf(call: RecordedCall): string {
  expect(call.method).toBe('functions.completeError');
  return String(call.body.error);
}

describe('the Workflow Builder step "Check an S3 destination"', () => {
  it('completes once with ok and the outputs of a healthy destination, recorded as verify records it', async () => {
    const destination = await connected();
    const { bucket } = destination.settings;
    const before = Math.floor(Date.now() / 1000);

    const completion = await runStep({ bucket });

    const outputs = outputsOf(completion);
    expect(outputs).toEqual({
      ok: true,
      summary: 'All checks passed',
      checked_at: expect.any(Number),
      bucket,
    });
    expect(outputs.checked_at).toBeGreaterThanOrEqual(before);
    expect(outputs.checked_at).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    const saved = await seeded.destinations.get(TEAM, bucket);
    expect(saved?.lastCheck).toMatchObject({ ok: true, summary: 'All checks passed' });
    expect(Math.floor(Date.parse(saved?.lastCheck.at ?? '') / 1000)).toBe(outputs.checked_at);
    const [latest] = await seeded.audit.recent(TEAM, 1);
    expect(latest).toMatchObject({ actor: WORKFLOW_ACTOR, action: 'verify', bucket });
    expect((await seeded.history.recent(TEAM, [bucket])).get(bucket)).toHaveLength(1);
    // The write check ran, as verify's does; and without channel_id nothing is posted.
    expect(s3.requests.some((request) => request.operation === 'PutObject')).toBe(true);
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('is a successful step with ok false and the check’s words when a check finds a problem', async () => {
    const destination = await connected(TEAM, `acme-gone-${randomUUID().slice(0, 8)}`, false);
    const { bucket } = destination.settings;

    const outputs = outputsOf(await runStep({ bucket }));

    expect(outputs.ok).toBe(false);
    expect(outputs.summary.startsWith(`Challenge file: ${CHALLENGE_NOT_FOUND_TEXT} Create`)).toBe(
      true,
    );
    expect(outputs.summary).not.toContain('\n');
    expect((await seeded.destinations.get(TEAM, bucket))?.lastCheck).toMatchObject({
      ok: false,
      summary: 'Failed: Challenge file',
    });
    const everything = [...t.slack.calls.map((call) => JSON.stringify(call)), ...t.logs];
    expect(everything.join('\n')).not.toContain(destination.challengeKey);
  });

  it('fails, in words a workflow author understands, when no such destination is connected', async () => {
    const error = errorOf(await runStep({ bucket: 'never-connected' }));

    expect(error).toBe(
      'No S3 destination named `never-connected` is connected in this workspace: connect it with /s3-destination setup.',
    );
    expect(s3.requests).toHaveLength(0);
  });

  it('fails with the rule a bucket name breaks, and escapes what it was given', async () => {
    expect(errorOf(await runStep({ bucket: 'Acme_Lake' }))).toBe(
      '`Acme_Lake` is not an S3 bucket name: Bucket names use lowercase letters only: write "A" and "L" as "a" and "l".',
    );
    expect(errorOf(await runStep({ bucket: '<!channel>' }))).toMatch(
      /^`&lt;!channel&gt;` is not an S3 bucket name: /,
    );
    expect(errorOf(await runStep({}))).toBe(
      'The step needs the name of a connected S3 bucket in its Bucket input.',
    );
    expect(s3.requests).toHaveLength(0);
  });

  it('fails when S3 does not answer properly, and records nothing against the bucket', async () => {
    const destination = await connected();
    const { bucket } = destination.settings;
    s3.setFault({ kind: 'InternalError' });

    const error = errorOf(await runStep({ bucket }));

    expect(error).toBe(
      `S3 did not answer properly while checking \`${bucket}\`: nothing to fix on the bucket's side. Run the step again in a minute.`,
    );
    expect((await seeded.destinations.get(TEAM, bucket))?.lastCheck).toEqual(destination.lastCheck);
  });

  it('waits for a check of the destination already running, then runs its own', async () => {
    const { settings } = await connected();
    const lockKey = verifyLockKey(TEAM, `destination:${settings.bucket}`);
    const held = await seeded.locks.acquire(lockKey, 30_000);
    expect(held).toBeDefined();

    const step = runStep({ bucket: settings.bucket });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(t.slack.calls.some((call) => call.method.startsWith('functions.'))).toBe(false);
    await seeded.locks.release(lockKey, held!);

    expect(outputsOf(await step)).toMatchObject({ ok: true, bucket: settings.bucket });
  });

  it('posts the team-visible result in channel_id, with the step’s own token', async () => {
    const { settings } = await connected();

    const outputs = outputsOf(await runStep({ bucket: settings.bucket, channel_id: 'C0ALERTS' }));

    expect(outputs).toMatchObject({ ok: true, summary: 'All checks passed' });
    const [post] = t.slack.callsTo('chat.postMessage');
    expect(post.body.channel).toBe('C0ALERTS');
    expect(post.body.text).toBe(`S3 destination ${settings.bucket}: all checks passed`);
    expect(visibleText(post.body)).toContain(
      `A workflow verified \`${settings.bucket}\`: all checks passed`,
    );
    expect(post.token).toBe(STEP_TOKEN);
  });

  it('does not fail the step when the channel cannot be posted in, and says so in the summary', async () => {
    const { settings } = await connected();
    t.slack.answer('chat.postMessage', { ok: false, error: 'not_in_channel' });

    const outputs = outputsOf(await runStep({ bucket: settings.bucket, channel_id: 'C0CLOSED' }));

    expect(outputs.ok).toBe(true);
    expect(outputs.summary).toBe(
      'All checks passed (Not posted in the channel: the app is not a member of that channel: add it there, or choose another.)',
    );
  });

  it('makes every call with the event’s bot_access_token, never the bot token', async () => {
    const { settings } = await connected();
    const failing = await connected(TEAM, `acme-gone-${randomUUID().slice(0, 8)}`, false);

    const passed = await runStep({ bucket: settings.bucket, channel_id: 'C0ALERTS' });
    const failed = await runStep({ bucket: failing.settings.bucket, channel_id: 'C0ALERTS' });
    const refused = await runStep({ bucket: 'never-connected' });

    for (const call of [passed, failed, refused]) expect(call.token).toBe(STEP_TOKEN);
    const stepCalls = t.slack.calls.filter((call) => call.method !== 'response_url');
    expect(stepCalls.length).toBeGreaterThanOrEqual(5);
    expect(stepCalls.filter((call) => call.token !== STEP_TOKEN)).toEqual([]);
    expect(t.slack.calls.some((call) => call.token === BOT_TOKEN)).toBe(false);
  });

  it('refreshes the App Homes people look at with the workspace’s token, which outlives the step', async () => {
    const { settings } = await connected();
    await t.post(appHomeOpenedBody(DEFAULT_ACTOR), 'application/json');
    await t.slack.waitForCall('views.publish');

    await runStep({ bucket: settings.bucket });
    const refreshed = await t.slack.waitForCall('views.publish', 2);

    expect(refreshed.token).toBe(BOT_TOKEN);
    expect(JSON.stringify(refreshed.body)).toContain('A workflow');
  });

  it('never sees another workspace’s bucket of the same name', async () => {
    const bucket = `shared-name-${randomUUID().slice(0, 8)}`;
    const theirs = await connected(OTHER_TEAM, bucket, true);

    expect(errorOf(await runStep({ bucket }))).toMatch(/^No S3 destination named/);

    const ours = await connected(TEAM, bucket, false);
    const outputs = outputsOf(await runStep({ bucket }));
    expect(outputs.ok).toBe(false);
    expect(ours.challengeKey).not.toBe(theirs.challengeKey);
    expect((await seeded.destinations.get(OTHER_TEAM, bucket))?.lastCheck).toEqual(
      theirs.lastCheck,
    );
    expect(await seeded.audit.recent(OTHER_TEAM, 5)).toEqual([]);
  });
});
