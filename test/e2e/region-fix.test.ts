import { ACTION } from '../../src/slack/ids';
import { createRedisStores } from '../../src/store';
import type { S3ClientFactory } from '../../src/verify/s3-clients';
import {
  VALID_SETTINGS,
  clickCheckAndSave,
  postsTo,
  submitSetup,
  waitForPostTo,
  type SetupInstructions,
} from '../faults/flow';
import { visibleText } from '../support/message-text';
import { testRedis, type TestRedis } from '../support/redis';
import { startFaultServer, type FaultServer } from '../support/s3-fault-server';
import { localVerifier } from '../support/s3-local';
import {
  DEFAULT_ACTOR,
  blockActionPayload,
  buttonAction,
  type Actor,
} from '../support/slack-payloads';
import type { RecordedCall } from '../support/slack-stand-in';
import { startTestApp, type TestApp } from '../support/test-app';

const TEAM = DEFAULT_ACTOR.teamId;
const BOB: Actor = { ...DEFAULT_ACTOR, userId: 'U0BOB' };
const { bucket } = VALID_SETTINGS;

let redis: TestRedis;
let s3: FaultServer;
let clients: S3ClientFactory;
let t: TestApp;
let presses = 0;

beforeAll(async () => {
  redis = await testRedis();
  s3 = await startFaultServer();
});
afterAll(async () => {
  await s3.stop();
  await redis.cleanup();
});

async function startApp(adminUserIds: string[] = []): Promise<void> {
  const local = localVerifier(s3.endpoint, 5000);
  clients = local.clients;
  t = await startTestApp({
    stores: createRedisStores(redis.client, 3600),
    verifier: local.verifier,
    settings: { adminUserIds },
  });
}

afterEach(async () => {
  await t.stop();
  clients.destroy();
  s3.reset();
  await redis.flush();
});

async function settle(): Promise<void> {
  if (!(await t.deps.tasks.drain(20_000))) throw new Error('background work did not finish');
}

/** The bucket is in eu-west-1: HeadBucket says so, and S3 redirects requests made elsewhere. */
function bucketInIreland(): void {
  s3.setFault({ op: 'HeadBucket', kind: 'ok', region: 'eu-west-1' });
  s3.setFault({ op: 'HeadObject', kind: 'PermanentRedirect', region: 'eu-west-1' });
}

/** Sets up in us-east-1, presses Check and Save, and returns the team-visible failed result. */
async function failOnTheRegion(): Promise<{ setup: SetupInstructions; result: RecordedCall }> {
  bucketInIreland();
  const setup = await submitSetup(t, t.slack, { responseUrl: t.slack.responseUrl('setup') });
  await clickCheckAndSave(t, setup.sessionId, t.slack.responseUrl('check'));
  const result = await t.slack.waitForCall('chat.postMessage');
  await settle();
  return { setup, result };
}

function regionButtonOf(message: RecordedCall): { action_id: string; value: string } | undefined {
  return ((message.body.blocks ?? []) as { elements?: { action_id: string; value: string }[] }[])
    .flatMap((block) => block.elements ?? [])
    .find((element) => element.action_id === ACTION.useBucketRegion);
}

/** Presses the region button in the team-visible `result`, as `actor`; where its replies go. */
async function press(result: RecordedCall, value: string, actor: Actor): Promise<string> {
  presses += 1;
  const responseUrl = t.slack.responseUrl(`region-${presses}`);
  const payload = {
    ...(blockActionPayload(actor, buttonAction(ACTION.useBucketRegion, value), {
      responseUrl,
    }) as Record<string, unknown>),
    container: {
      type: 'message',
      message_ts: '1700000000.000100',
      channel_id: actor.channelId,
      is_ephemeral: false,
    },
    message: { type: 'message', text: result.body.text, blocks: result.body.blocks },
  };
  const response = await t.interact(payload);
  expect(response.status).toBe(200);
  expect(await response.text()).toBe('');
  return responseUrl;
}

describe('the one-click region fix', () => {
  it('offers the bucket’s region when only the region failed, and switches and checks again with the same challenge file', async () => {
    await startApp();
    const { setup, result } = await failOnTheRegion();

    const failed = visibleText(result.body);
    expect(failed).toContain('The bucket is in eu-west-1, not us-east-1.');
    const button = regionButtonOf(result);
    expect(button).toBeDefined();
    expect(JSON.parse(button!.value)).toEqual({ sessionId: setup.sessionId, region: 'eu-west-1' });
    expect(JSON.stringify(result.body)).not.toContain(setup.challengeKey);
    expect(await t.deps.stores.destinations.get(TEAM, bucket)).toBeUndefined();

    // The bucket answers in its own region once asked there.
    s3.reset();
    s3.setFault({ op: 'HeadBucket', kind: 'ok', region: 'eu-west-1' });
    const pressed = await press(result, button!.value, BOB);
    const success = await t.slack.waitForCall('chat.postMessage', 2);
    await settle();

    const settled = await waitForPostTo(t.slack, pressed);
    expect(settled.body.replace_original).toBe(true);
    expect(regionButtonOf(settled)).toBeUndefined();
    expect(visibleText(settled.body)).toContain(
      '<@U0BOB> switched this setup to Europe (Ireland) · eu-west-1 and checked again',
    );
    expect(visibleText(success.body)).toContain(`<@U0BOB> connected \`${bucket}\``);
    expect(visibleText(success.body)).toContain('*Region*\nEurope (Ireland) · eu-west-1');
    const saved = await t.deps.stores.destinations.get(TEAM, bucket);
    expect(saved).toMatchObject({
      challengeKey: setup.challengeKey,
      connectedBy: DEFAULT_ACTOR.userId,
      settings: { ...VALID_SETTINGS, region: 'eu-west-1' },
    });
    // The same challenge file was checked: no new name was issued.
    const heads = s3.requests.filter((request) => request.operation === 'HeadObject');
    expect(heads.map((request) => request.key)).toEqual([setup.challengeKey]);
    expect((await t.deps.stores.sessions.get(TEAM, setup.sessionId))?.settings.region).toBe(
      'eu-west-1',
    );
    // Only one reply reached the button's message: the buttonless original.
    expect(postsTo(t.slack, pressed)).toHaveLength(1);
  });

  it('offers nothing when another check failed too', async () => {
    await startApp();
    s3.setFault({ op: 'HeadBucket', kind: 'ok', region: 'eu-west-1' });
    s3.setFault({ op: 'HeadObject', kind: 'NotFound' });
    const setup = await submitSetup(t, t.slack, { responseUrl: t.slack.responseUrl('setup') });

    await clickCheckAndSave(t, setup.sessionId, t.slack.responseUrl('check'));
    const result = await t.slack.waitForCall('chat.postMessage');
    await settle();

    expect(visibleText(result.body)).toContain('The bucket is in eu-west-1, not us-east-1.');
    expect(regionButtonOf(result)).toBeUndefined();
  });

  it('refuses a button whose region the bot does not serve, and checks nothing', async () => {
    await startApp();
    const { setup, result } = await failOnTheRegion();
    const requests = s3.requests.length;

    const pressed = await press(
      result,
      JSON.stringify({ sessionId: setup.sessionId, region: 'cn-north-1' }),
      DEFAULT_ACTOR,
    );
    const told = await waitForPostTo(t.slack, pressed);
    await settle();

    expect(visibleText(told.body)).toContain(
      'This button is not valid any more: run `/s3-destination setup` again.',
    );
    expect(s3.requests).toHaveLength(requests);
    expect((await t.deps.stores.sessions.get(TEAM, setup.sessionId))?.settings.region).toBe(
      'us-east-1',
    );
  });

  it('is for admins only when ADMIN_USER_IDS is set', async () => {
    await startApp([DEFAULT_ACTOR.userId]);
    const { setup, result } = await failOnTheRegion();
    const requests = s3.requests.length;

    const pressed = await press(result, regionButtonOf(result)!.value, BOB);
    const told = await waitForPostTo(t.slack, pressed);
    await settle();

    expect(visibleText(told.body)).toContain('Only the workspace’s S3 destination admins');
    expect(s3.requests).toHaveLength(requests);
    expect((await t.deps.stores.sessions.get(TEAM, setup.sessionId))?.settings.region).toBe(
      'us-east-1',
    );
  });
});
