import { randomUUID } from 'node:crypto';
import { listDestinations, loadTable, s3ClientFor } from '../../examples/loader/loader';
import type { DestinationSettings } from '../../src/domain/destination';
import { ACTION } from '../../src/slack/ids';
import { createMemoryStores } from '../../src/store';
import { createBucketAccess } from '../../src/verify/bucket-access';
import { CHALLENGE_NOT_FOUND_TEXT } from '../../src/verify/explain';
import { WRITE_CHECK_KEY } from '../../src/verify/report';
import { createRoleCredentialsSource } from '../../src/verify/role-credentials';
import { createS3ClientFactory } from '../../src/verify/s3-clients';
import { S3Verifier } from '../../src/verify/verifier';
import { visibleText } from '../support/message-text';
import { RGW_REGION, describeWithRgw, startRgw, type Rgw, type RgwUser } from '../support/rgw';
import {
  DEFAULT_ACTOR,
  blockActionPayload,
  buttonAction,
  setupStateValues,
  setupSubmissionPayload,
} from '../support/slack-payloads';
import { startTestApp, type TestApp } from '../support/test-app';
import { BucketOwner } from './bucket-owner';
import { destinationSettings } from '../support/fixtures';

// Access through a role, end to end on an engine with a real STS: the bucket's owner creates the
// role with the policies the setup message gives (RGW cannot evaluate sts:ExternalId, so the
// trust policy goes without that condition, and the bot must warn about it), uploads the
// challenge file, and the real app assumes the role for every check.

const START_TIMEOUT_MS = 90_000;
const TEAM = DEFAULT_ACTOR.teamId;
const TOKEN = 'role-loader-token-0123456789';
const TIMEOUT_MS = 5000;
const CHALLENGE = /s3-destination-challenge-file-[0-9a-f-]{36}/;

let rgw: Rgw;
let owner: RgwUser;
let loader: RgwUser;
let ownerS3: BucketOwner;
let closeBot: () => void;
let t: TestApp;

describeWithRgw('role access against Ceph RGW', () => {
  beforeAll(async () => {
    rgw = await startRgw({ sts: true });
    owner = await rgw.createUser('owner');
    loader = await rgw.createUser('loader');
    await rgw.allowRoles(owner);
    ownerS3 = new BucketOwner(rgw.client(owner));
    const credentials = {
      accessKeyId: loader.accessKeyId,
      secretAccessKey: loader.secretAccessKey,
    };
    const clients = createS3ClientFactory({
      endpoint: rgw.endpoint,
      forcePathStyle: true,
      timeoutMs: TIMEOUT_MS,
      credentials,
    });
    // RGW serves STS on its S3 endpoint: STS_ENDPOINT = S3_ENDPOINT.
    const roles = createRoleCredentialsSource({
      endpoint: rgw.endpoint,
      timeoutMs: TIMEOUT_MS,
      credentials: { aws: credentials },
    });
    closeBot = () => {
      clients.destroy();
      roles.destroy();
    };
    t = await startTestApp({
      stores: createMemoryStores(3600),
      verifier: new S3Verifier(createBucketAccess(clients, roles), { timeoutMs: TIMEOUT_MS }),
      settings: {
        principals: { aws: loader.arn },
        identityProven: false,
        s3Compatible: true,
        stsAvailable: true,
        loaderApiTokens: [TOKEN],
      },
    });
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    await t?.stop();
    closeBot?.();
    await rgw?.stop();
  });

  beforeEach(() => t.slack.reset());

  function settingsFor(bucket: string): DestinationSettings {
    return destinationSettings({ bucket, region: RGW_REGION });
  }

  interface RoleInstructions {
    readonly sessionId: string;
    readonly challengeKey: string;
    /** The policies as the owner copies them from Slack. */
    readonly trustPolicy: string;
    readonly permissionsPolicy: string;
  }

  /** `/s3-destination setup` with the role chosen; the one-time message's parts. */
  async function setUp(bucket: string, roleArn: string): Promise<RoleInstructions> {
    await t.command('setup');
    const open = await t.slack.waitForCall('views.open');
    const privateMetadata = (open.body.view as { private_metadata: string }).private_metadata;
    const values = setupStateValues(settingsFor(bucket), { type: 'iam_role', roleArn });
    expect(
      (await t.interact(setupSubmissionPayload(DEFAULT_ACTOR, values, privateMetadata))).status,
    ).toBe(200);
    const message = await t.slack.waitForCall('response_url');
    const text = visibleText(message.body.blocks);
    const trustPolicy = /The trust policy:\n```([\s\S]*?)```/.exec(text)?.[1];
    const permissionsPolicy = /The permissions policy:\n```([\s\S]*?)```/.exec(text)?.[1];
    const challengeKey = CHALLENGE.exec(text)?.[0];
    const button = (message.body.blocks as { elements?: { action_id: string; value: string }[] }[])
      .flatMap((block) => block.elements ?? [])
      .find((element) => element.action_id === ACTION.checkAndSave);
    if (!trustPolicy || !permissionsPolicy || !challengeKey || !button) {
      throw new Error(`the role setup message is incomplete:\n${text}`);
    }
    return { sessionId: button.value, challengeKey, trustPolicy, permissionsPolicy };
  }

  /** The trust policy without its ExternalId condition, which RGW cannot evaluate. */
  function withoutExternalId(trustPolicy: string): string {
    const policy = JSON.parse(trustPolicy) as { Statement: Record<string, unknown>[] };
    for (const statement of policy.Statement) delete statement.Condition;
    return JSON.stringify(policy);
  }

  async function checkAndSave(sessionId: string): Promise<string> {
    const click = blockActionPayload(DEFAULT_ACTOR, buttonAction(ACTION.checkAndSave, sessionId), {
      responseUrl: t.slack.responseUrl(`check-${randomUUID()}`),
    });
    expect((await t.interact(click)).status).toBe(200);
    const posted = await t.slack.waitForCall('chat.postMessage');
    if (!(await t.deps.tasks.drain(20_000))) throw new Error('Check and Save did not finish');
    return visibleText(posted.body.blocks);
  }

  const newName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

  test('connects through the role the owner created from the message, warning that the ExternalId is not required; the example loader writes with it', async () => {
    const bucket = newName('role');
    const roleName = newName('s3-destination');
    await ownerS3.createBucket(bucket);
    const message = await setUp(bucket, `arn:aws:iam:::role/${roleName}`);
    await rgw.createRole(roleName, withoutExternalId(message.trustPolicy), {
      policyName: 's3-destination',
      policy: message.permissionsPolicy,
    });
    await ownerS3.uploadBlank(bucket, message.challengeKey);

    const channelText = await checkAndSave(message.sessionId);

    expect(channelText).toContain(`connected \`${bucket}\` as an S3 destination, with a warning.`);
    expect(channelText).toContain(
      `:warning: *Assume the role*: Warning: the role \`arn:aws:iam:::role/${roleName}\` could be assumed without the ExternalId too`,
    );
    expect(await ownerS3.keys(bucket)).toContain(WRITE_CHECK_KEY);
    const saved = await t.deps.stores.destinations.get(TEAM, bucket);
    expect(saved?.settings.access?.type).toBe('iam_role');

    const apiBase = t.url.replace('/slack/events', '');
    for await (const destination of listDestinations(apiBase, TOKEN)) {
      if (destination.bucket !== bucket) continue;
      expect(destination.access.type).toBe('iam_role');
      const s3 = s3ClientFor(destination, {
        credentials: { accessKeyId: loader.accessKeyId, secretAccessKey: loader.secretAccessKey },
        endpoint: rgw.endpoint,
        forcePathStyle: true,
      });
      const key = await loadTable(s3, destination, {
        integrationName: 'example',
        tableName: 'accounts',
        tableVersion: 1,
        timestampLoaded: Date.UTC(2025, 0, 1),
        rows: [{ id: 1 }],
      });
      s3.destroy();
      expect(await ownerS3.keys(bucket)).toContain(key);
    }
  });

  test('a trust policy that does not name our principal fails with the trust policy explanation, and nothing is written', async () => {
    const bucket = newName('role');
    const roleName = newName('s3-destination');
    await ownerS3.createBucket(bucket);
    const message = await setUp(bucket, `arn:aws:iam:::role/${roleName}`);
    const strangers = withoutExternalId(message.trustPolicy).replace(loader.arn, owner.arn);
    await rgw.createRole(roleName, strangers, {
      policyName: 's3-destination',
      policy: message.permissionsPolicy,
    });
    await ownerS3.uploadBlank(bucket, message.challengeKey);

    const channelText = await checkAndSave(message.sessionId);

    // RGW answers STS errors in S3's XML shape, from which the SDK's STS client reads no code: the
    // HTTP status is what is kept (AWS's own answer keeps AccessDenied: test/e2e/role-access.test.ts).
    expect(channelText).toContain(
      `:x: *Assume the role*: STS refused to let the bot assume \`arn:aws:iam:::role/${roleName}\` (HTTP 403)`,
    );
    expect(channelText).toContain(
      `the role’s trust policy does not name our principal \`${loader.arn}\``,
    );
    expect(await t.deps.stores.destinations.get(TEAM, bucket)).toBeUndefined();
    expect(await ownerS3.keys(bucket)).toEqual([message.challengeKey]);
  });

  test('a role without s3:PutObject fails the write check with the role’s fix', async () => {
    const bucket = newName('role');
    const roleName = newName('s3-destination');
    await ownerS3.createBucket(bucket);
    const message = await setUp(bucket, `arn:aws:iam:::role/${roleName}`);
    const readOnly = message.permissionsPolicy.replace(',\n        "s3:PutObject"', '');
    expect(readOnly).not.toContain('s3:PutObject');
    await rgw.createRole(roleName, withoutExternalId(message.trustPolicy), {
      policyName: 's3-destination',
      policy: readOnly,
    });
    await ownerS3.uploadBlank(bucket, message.challengeKey);

    const channelText = await checkAndSave(message.sessionId);

    expect(channelText).toContain(':white_check_mark: *Challenge file*');
    expect(channelText).toContain(
      `:x: *Write an object*: Access denied (AccessDenied, HTTP 403) when the bot wrote a test object to \`${bucket}\`: the role’s permissions policy is missing \`s3:PutObject\`.`,
    );
    expect(await t.deps.stores.destinations.get(TEAM, bucket)).toBeUndefined();
    expect(await ownerS3.keys(bucket)).toEqual([message.challengeKey]);
  });

  test('nothing is written before the challenge file passes', async () => {
    const bucket = newName('role');
    const roleName = newName('s3-destination');
    await ownerS3.createBucket(bucket);
    const message = await setUp(bucket, `arn:aws:iam:::role/${roleName}`);
    await rgw.createRole(roleName, withoutExternalId(message.trustPolicy), {
      policyName: 's3-destination',
      policy: message.permissionsPolicy,
    });

    const channelText = await checkAndSave(message.sessionId);

    expect(channelText).toContain(`:x: *Challenge file*: ${CHALLENGE_NOT_FOUND_TEXT}`);
    expect(await ownerS3.keys(bucket)).toEqual([]);
  });
});
