import { randomUUID } from 'node:crypto';
import type { DestinationSettings } from '../../src/domain/destination';
import { ACTION } from '../../src/slack/ids';
import { createBucketAccess } from '../../src/verify/bucket-access';
import { WRITE_CHECK_KEY } from '../../src/verify/report';
import { createRoleCredentialsSource } from '../../src/verify/role-credentials';
import { createS3ClientFactory } from '../../src/verify/s3-clients';
import { S3Verifier } from '../../src/verify/verifier';
import { visibleText } from '../support/message-text';
import {
  LOCAL_S3_CREDENTIALS,
  LOCAL_S3_REGION,
  startLocalS3,
  type LocalS3,
} from '../support/s3-local';
import {
  DEFAULT_ACTOR,
  blockActionPayload,
  resetupConfirmationPayload,
  buttonAction,
  setupStateValues,
  setupSubmissionPayload,
} from '../support/slack-payloads';
import type { RecordedCall } from '../support/slack-stand-in';
import { startStsStandIn, type StsStandIn } from '../support/sts-stand-in';
import { EXTERNAL_ID_WITHHELD } from '../../src/slack/views/role-steps';
import { PRINCIPAL_ARN, startTestApp, type TestApp } from '../support/test-app';
import { destinationSettings } from '../support/fixtures';

const TEAM = DEFAULT_ACTOR.teamId;
const ROLE_ARN = 'arn:aws:iam::222222222222:role/s3-destination';
const CHALLENGE = /s3-destination-challenge-file-[0-9a-f-]{36}/;
const TIMEOUT_MS = 3000;

let s3: LocalS3;
let sts: StsStandIn;
let t: TestApp;
let closeClients: () => void;

beforeAll(async () => {
  s3 = await startLocalS3();
  sts = await startStsStandIn(PRINCIPAL_ARN);
  // The role's credentials must work on the local S3 server, which knows one key pair.
  sts.issueCredentials(LOCAL_S3_CREDENTIALS);
  const clients = createS3ClientFactory({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    timeoutMs: TIMEOUT_MS,
    credentials: LOCAL_S3_CREDENTIALS,
  });
  const roles = createRoleCredentialsSource({
    endpoint: sts.endpoint,
    timeoutMs: TIMEOUT_MS,
    credentials: { aws: LOCAL_S3_CREDENTIALS },
  });
  closeClients = () => {
    clients.destroy();
    roles.destroy();
  };
  const verifier = new S3Verifier(createBucketAccess(clients, roles), { timeoutMs: TIMEOUT_MS });
  t = await startTestApp({ verifier });
}, 30_000);

afterAll(async () => {
  await t?.stop();
  closeClients?.();
  await sts?.close();
  await s3?.stop();
});

beforeEach(() => {
  sts.reset();
  sts.issueCredentials(LOCAL_S3_CREDENTIALS);
  t.slack.reset();
});

function settingsFor(bucket: string): DestinationSettings {
  return destinationSettings({ bucket, region: LOCAL_S3_REGION });
}

interface RoleSetup {
  readonly bucket: string;
  readonly sessionId: string;
  readonly challenge: string;
  /** The trust policy exactly as the setup message shows it. */
  readonly trustPolicy: string;
  readonly instructions: RecordedCall;
}

/**
 * `/s3-destination setup` as the user would, the IAM role chosen unless told otherwise (a
 * connected bucket: "Set up again" confirmed); the message it left.
 */
async function setUpWithRole(
  bucket = `role-${randomUUID().slice(0, 8)}`,
  access: { type: 'bucket_policy' } | { type: 'iam_role'; roleArn: string } = {
    type: 'iam_role',
    roleArn: ROLE_ARN,
  },
): Promise<RoleSetup> {
  await s3.createBucket(bucket).catch(() => undefined);
  const opened = t.slack.callsTo('views.open').length;
  const posted = t.slack.callsTo('response_url').length;
  await t.command('setup');
  const open = await t.slack.waitForCall('views.open', opened + 1);
  const privateMetadata = (open.body.view as { private_metadata: string }).private_metadata;
  const values = setupStateValues(settingsFor(bucket), access);
  const submitted = await t.interact(
    setupSubmissionPayload(DEFAULT_ACTOR, values, privateMetadata),
  );
  expect(submitted.status).toBe(200);
  const body = await submitted.text();
  // A connected bucket: the app pushes its confirmation, and the user sets it up again.
  const pushed = body
    ? (JSON.parse(body) as { view?: { private_metadata: string } }).view
    : undefined;
  if (pushed) await t.interact(resetupConfirmationPayload(DEFAULT_ACTOR, pushed.private_metadata));
  const instructions = await t.slack.waitForCall('response_url', posted + 1);
  const text = visibleText(instructions.body.blocks);
  const trustPolicy = /The trust policy:\n```([\s\S]*?)```/.exec(text)?.[1] ?? '';
  const challenge = CHALLENGE.exec(text)?.[0];
  const button = (
    instructions.body.blocks as { elements?: { action_id: string; value: string }[] }[]
  )
    .flatMap((block) => block.elements ?? [])
    .find((element) => element.action_id === ACTION.checkAndSave);
  if (!challenge || !button) throw new Error('the setup instructions are incomplete');
  if (access.type === 'iam_role' && !trustPolicy) throw new Error('no trust policy was given');
  return { bucket, sessionId: button.value, challenge, trustPolicy, instructions };
}

/** Presses Check and Save and waits for everything it does. */
async function checkAndSave(setup: RoleSetup): Promise<string> {
  await t.interact(
    blockActionPayload(DEFAULT_ACTOR, buttonAction(ACTION.checkAndSave, setup.sessionId), {
      responseUrl: t.slack.responseUrl('check'),
    }),
  );
  if (!(await t.deps.tasks.drain(20_000))) throw new Error('background work did not finish');
  const posted = t.slack.callsTo('chat.postMessage');
  return visibleText(posted.at(-1)?.body.blocks);
}

describe('a destination reached through an IAM role, on a stand-in STS that enforces the ExternalId', () => {
  it('passes without the warning when the role trusts our principal with its ExternalId', async () => {
    const setup = await setUpWithRole();
    sts.putRole(ROLE_ARN, setup.trustPolicy);
    await s3.putObject(setup.bucket, setup.challenge);

    const result = await checkAndSave(setup);

    expect(result).toContain('connected');
    expect(result).toContain(`The bot assumed the role \`${ROLE_ARN}\``);
    expect(result).not.toContain(':warning:');
    const saved = await t.deps.stores.destinations.get(TEAM, setup.bucket);
    expect(saved?.settings.access).toEqual({
      type: 'iam_role',
      roleArn: ROLE_ARN,
      externalId: expect.stringMatching(/^[A-Za-z0-9]{32,}$/),
    });
    const externalId =
      saved?.settings.access?.type === 'iam_role' && saved.settings.access.externalId;
    expect(setup.trustPolicy).toContain(`"sts:ExternalId": "${externalId}"`);
    // Assumed with the ExternalId, in a session named for the workspace; then probed without it.
    const assumed = sts.requests.filter((request) => request.action === 'AssumeRole');
    expect(assumed[0]).toMatchObject({
      roleArn: ROLE_ARN,
      externalId,
      roleSessionName: `s3-destination-${TEAM}`,
    });
    expect(assumed.at(-1)?.externalId).toBeUndefined();
    expect(await s3.objectExists(setup.bucket, WRITE_CHECK_KEY)).toBe(true);
    // The ExternalId goes to the person setting up only: never to the channel, never to the logs.
    const teamVisible = t.slack
      .callsTo('chat.postMessage')
      .map((call) => JSON.stringify(call.body));
    expect(teamVisible.join('\n')).not.toContain(String(externalId));
    expect(t.logs.join('\n')).not.toContain(String(externalId));
  });

  it('refuses a wrong ExternalId with the trust policy explanation and writes nothing', async () => {
    const setup = await setUpWithRole();
    const wrong = setup.trustPolicy.replace(
      /"sts:ExternalId": "\w+"/,
      '"sts:ExternalId": "SomeOtherCustomersId0123456789abcdefXYZ"',
    );
    sts.putRole(ROLE_ARN, wrong);
    await s3.putObject(setup.bucket, setup.challenge);

    const result = await checkAndSave(setup);

    expect(result).toContain('failed');
    expect(result).toContain(
      `STS refused to let the bot assume \`${ROLE_ARN}\` (AccessDenied, HTTP 403)`,
    );
    expect(result).toContain(
      'its `sts:ExternalId` condition does not match this destination’s ExternalId',
    );
    expect(result).toContain('Not checked: the bot must first assume the role');
    expect(await t.deps.stores.destinations.get(TEAM, setup.bucket)).toBeUndefined();
    expect(await s3.objectExists(setup.bucket, WRITE_CHECK_KEY)).toBe(false);
  });

  it('saves with a warning when the trust policy does not require the ExternalId', async () => {
    const setup = await setUpWithRole();
    const open = JSON.parse(setup.trustPolicy) as { Statement: Record<string, unknown>[] };
    delete open.Statement[0].Condition;
    sts.putRole(ROLE_ARN, JSON.stringify(open));
    await s3.putObject(setup.bucket, setup.challenge);

    const result = await checkAndSave(setup);

    expect(result).toContain('connected');
    expect(result).toContain('with a warning');
    expect(result).toContain('could be assumed without the ExternalId too');
    const saved = await t.deps.stores.destinations.get(TEAM, setup.bucket);
    expect(saved?.lastCheck.summary).toContain('warning: Assume the role');
  });

  it('verify assumes the role again from the cached credentials, and tells the team', async () => {
    const setup = await setUpWithRole();
    sts.putRole(ROLE_ARN, setup.trustPolicy);
    await s3.putObject(setup.bucket, setup.challenge);
    await checkAndSave(setup);
    const assumedBefore = sts.requests.filter((request) => request.externalId !== undefined);

    await t.command(`verify ${setup.bucket}`);
    if (!(await t.deps.tasks.drain(20_000))) throw new Error('verify did not finish');

    const result = visibleText(t.slack.callsTo('chat.postMessage').at(-1)?.body.blocks);
    expect(result).toContain(`verified \`${setup.bucket}\`: all checks passed.`);
    expect(result).toContain(`The bot assumed the role \`${ROLE_ARN}\``);
    // Cached until shortly before they expire: no second AssumeRole with the ExternalId.
    expect(sts.requests.filter((request) => request.externalId !== undefined)).toEqual(
      assumedBefore,
    );
  });

  it('explains STS not being activated in the region, keeping its code', async () => {
    const setup = await setUpWithRole();
    await s3.putObject(setup.bucket, setup.challenge);
    sts.answerError({
      status: 403,
      code: 'RegionDisabledException',
      message: 'STS is not activated in this region for account:222222222222.',
    });

    const result = await checkAndSave(setup);

    expect(result).toContain(
      `STS is not activated in ${LOCAL_S3_REGION} for the role’s account (RegionDisabledException, HTTP 403)`,
    );
    expect(await s3.objectExists(setup.bucket, WRITE_CHECK_KEY)).toBe(false);
  });

  it('calls STS not answering no one’s fault at the role', async () => {
    const setup = await setUpWithRole();
    sts.answerError({
      status: 503,
      code: 'ServiceUnavailable',
      message: 'Service is unavailable.',
    });

    const result = await checkAndSave(setup);

    expect(result).toContain('STS did not answer properly');
    expect(result).toContain('Nothing to fix on your side');
  });

  it('switches a connected bucket from the bucket policy to the role once the new check passes', async () => {
    const first = await setUpWithRole(undefined, { type: 'bucket_policy' });
    await s3.putObject(first.bucket, first.challenge);
    await checkAndSave(first);
    expect((await t.deps.stores.destinations.get(TEAM, first.bucket))?.settings.access).toBe(
      undefined,
    );

    const again = await setUpWithRole(first.bucket);
    // The saved destination stays as it was until the new setup's check passes.
    expect((await t.deps.stores.destinations.get(TEAM, first.bucket))?.challengeKey).toBe(
      first.challenge,
    );
    sts.putRole(ROLE_ARN, again.trustPolicy);
    await s3.putObject(again.bucket, again.challenge);
    const result = await checkAndSave(again);

    expect(result).toContain('set up');
    expect(result).toContain('the destination is updated');
    const saved = await t.deps.stores.destinations.get(TEAM, first.bucket);
    expect(saved?.challengeKey).toBe(again.challenge);
    expect(saved?.settings.access).toMatchObject({ type: 'iam_role', roleArn: ROLE_ARN });
  });

  it('`policy` shows the role’s policies, the ExternalId only to whoever connected the bucket', async () => {
    const setup = await setUpWithRole();
    sts.putRole(ROLE_ARN, setup.trustPolicy);
    await s3.putObject(setup.bucket, setup.challenge);
    await checkAndSave(setup);
    const saved = await t.deps.stores.destinations.get(TEAM, setup.bucket);
    const externalId =
      saved?.settings.access?.type === 'iam_role' ? saved.settings.access.externalId : '';

    const answers: string[] = [];
    for (const userId of [DEFAULT_ACTOR.userId, 'U0BOB']) {
      const before = t.slack.callsTo('response_url').length;
      await t.command(`policy ${setup.bucket}`, { userId });
      const answer = await t.slack.waitForCall('response_url', before + 1);
      answers.push(visibleText(answer.body.blocks));
    }

    const [connector, colleague] = answers;
    expect(connector).toContain('The trust policy:');
    expect(connector).toContain(`"sts:ExternalId": "${externalId}"`);
    expect(connector).toContain('aws iam put-role-policy');
    expect(colleague).toContain(`"sts:ExternalId": "${EXTERNAL_ID_WITHHELD}"`);
    expect(colleague).not.toContain(externalId);
    expect(`${connector}${colleague}`).not.toContain(setup.challenge);
  });
});
