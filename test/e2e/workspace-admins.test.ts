import { randomUUID } from 'node:crypto';
import { ACTION } from '../../src/slack/ids';
import { ADMIN_UNCONFIRMED } from '../../src/slack/admins/rule';
import { VALID_SETTINGS, waitUntil } from '../faults/flow';
import { installThrough } from '../support/oauth-flow';
import { testRedis, type TestRedis } from '../support/redis';
import {
  appHomeOpenedBody,
  blockActionPayload,
  buttonAction,
  resetupConfirmationPayload,
  setupStateValues,
  setupSubmissionPayload,
  slashCommandBody,
  type Actor,
} from '../support/slack-payloads';
import {
  startSlackStandIn,
  type SlackStandIn,
  type StandInWorkspace,
} from '../support/slack-stand-in';
import { startTestApp, type TestApp } from '../support/test-app';

const TEAM = 'TGOVERN';
const WORKSPACE: StandInWorkspace = { teamId: TEAM, teamName: 'Govern', installerId: 'UINSTALL' };
const installer: Actor = { teamId: TEAM, userId: 'UINSTALL', channelId: 'CGOV' };
const member: Actor = { teamId: TEAM, userId: 'UMEMBER', channelId: 'CGOV' };
const owner: Actor = { teamId: TEAM, userId: 'UOWNER', channelId: 'CGOV' };

let redis: TestRedis;
let slack: SlackStandIn;
let t: TestApp;

beforeAll(async () => {
  redis = await testRedis();
  slack = await startSlackStandIn();
});
afterAll(async () => {
  await slack.close();
  await redis.cleanup();
});
beforeEach(async () => {
  t = await startTestApp({
    slack,
    oauth: { redis: redis.client },
  });
  await install();
  slack.reset();
});
afterEach(async () => {
  await t.stop();
  await redis.flush();
  slack.reset();
  slack.oauth.clear();
});

/** The whole install of the workspace through the app's install pages. */
async function install(): Promise<void> {
  expect((await installThrough(t.base, slack, WORKSPACE)).status).toBe(200);
}

async function command(actor: Actor, text: string): Promise<string> {
  const answer = await t.post(slashCommandBody(text, actor, slack.responseUrl()));
  expect(answer.status).toBe(200);
  const raw = await answer.text();
  return raw === '' ? '' : ((JSON.parse(raw) as { text?: string }).text ?? '');
}

/** The App Home view Slack shows `actor` once they open it. */
async function openHome(actor: Actor) {
  const before = slack.callsTo('views.publish').length;
  await t.post(appHomeOpenedBody(actor), 'application/json');
  await waitUntil(() => slack.callsTo('views.publish').length > before, 'views.publish');
  return slack.homeView(actor.userId);
}

/** What a view shows, as one string: its texts and the action ids of its elements. */
function viewText(view: unknown): string {
  return JSON.stringify(view);
}

/** Clicks `action` in `actor`'s App Home; resolves with the notice of the view published next. */
async function homeClick(actor: Actor, action: Record<string, unknown>): Promise<string> {
  const view = (await openHome(actor)) ?? { id: 'VHOME', hash: '' };
  const before = slack.callsTo('views.publish').length;
  await t.interact(blockActionPayload(actor, action, { view }));
  await waitUntil(() => slack.callsTo('views.publish').length > before, 'views.publish');
  return viewText(slack.homeView(actor.userId));
}

/** Clicks a button under a message; resolves with what the clicker was told (ephemeral or reply). */
async function messageClick(actor: Actor, actionId: string, value: string): Promise<string> {
  const responseUrl = slack.responseUrl();
  const before = slack.calls.length;
  await t.interact(blockActionPayload(actor, buttonAction(actionId, value), { responseUrl }));
  await waitUntil(
    () =>
      slack.calls
        .slice(before)
        .some((c) => c.method === 'chat.postEphemeral' || c.method === 'response_url'),
    `an answer to ${actionId}`,
  );
  return JSON.stringify(slack.calls.slice(before).map((c) => c.body));
}

const NOT_ADMIN = /Only the workspace’s S3 destination admins/;

describe('the workspace’s admins (OAuth mode)', () => {
  it('refuses a member who is not an admin on every surface', async () => {
    expect(await command(member, 'setup')).toMatch(NOT_ADMIN);
    expect(await command(member, 'remove some-bucket')).toMatch(NOT_ADMIN);

    const metadata = JSON.stringify({ channelId: member.channelId });
    const submitted = await t.interact(
      setupSubmissionPayload(member, setupStateValues(VALID_SETTINGS), metadata),
    );
    expect(await submitted.text()).toMatch(NOT_ADMIN);
    const again = await t.interact(
      resetupConfirmationPayload(
        member,
        JSON.stringify({ channelId: member.channelId, settings: VALID_SETTINGS }),
      ),
    );
    expect(await again.text()).toMatch(NOT_ADMIN);

    const session = randomUUID();
    expect(await messageClick(member, ACTION.checkAndSave, session)).toMatch(NOT_ADMIN);
    const fix = JSON.stringify({ sessionId: session, region: 'eu-west-1' });
    expect(await messageClick(member, ACTION.useBucketRegion, fix)).toMatch(NOT_ADMIN);
    const removal = JSON.stringify({ bucket: 'some-bucket' });
    expect(await messageClick(member, ACTION.confirmRemove, removal)).toMatch(NOT_ADMIN);

    expect(await homeClick(member, buttonAction(ACTION.homeSetup, ''))).toMatch(NOT_ADMIN);
    expect(await homeClick(member, buttonAction(ACTION.homeRemove, 'some-bucket'))).toMatch(
      NOT_ADMIN,
    );
    const picked = {
      type: 'multi_users_select',
      action_id: ACTION.homeAdmins,
      selected_users: ['UMEMBER'],
    };
    expect(await homeClick(member, picked)).toMatch(NOT_ADMIN);
    expect(await redis.client.smembers(`s3d:{${TEAM}}:admins`)).toEqual([]);
    expect(slack.callsTo('views.open')).toHaveLength(0);
  });

  it('shows a member no admin buttons, and an admin the Admins section', async () => {
    const seen = viewText(await openHome(member));
    expect(seen).not.toContain(ACTION.homeSetup);
    expect(seen).not.toContain(ACTION.homeAdmins);
    const admin = viewText(await openHome(installer));
    expect(admin).toContain(ACTION.homeSetup);
    expect(admin).toContain(ACTION.homeAdmins);
    expect(admin).toContain('<@UINSTALL> (who installed the app)');
  });

  it('lets in the installer, and a workspace owner as Slack says, asking Slack once', async () => {
    await command(installer, 'setup');
    await slack.waitForCall('views.open', 1);
    slack.setUser(owner.userId, { isOwner: true });
    await command(owner, 'setup');
    await slack.waitForCall('views.open', 2);
    await command(owner, 'setup');
    await slack.waitForCall('views.open', 3);
    // The installer needs no question; the owner's answer is kept for the second command.
    expect(slack.callsTo('users.info').map((call) => call.body.user)).toEqual(['UOWNER']);
  });

  it('refuses when users.info fails: not confirmed, try again', async () => {
    slack.setUser(owner.userId, { isOwner: true });
    slack.answer('users.info', { ok: false, error: 'internal_error' });
    expect(await command(owner, 'setup')).toBe(ADMIN_UNCONFIRMED);
    expect(slack.callsTo('views.open')).toHaveLength(0);
  });

  it('refuses an owner of another workspace (a shared channel’s guest)', async () => {
    slack.setUser(owner.userId, { isOwner: true, teamId: 'TELSEWHERE' });
    expect(await command(owner, 'setup')).toMatch(NOT_ADMIN);
  });

  it('lets an admin add a member as an admin, audited, and remove them again', async () => {
    const picked = (users: string[]) => ({
      type: 'multi_users_select',
      action_id: ACTION.homeAdmins,
      selected_users: users,
    });
    expect(await homeClick(installer, picked(['UMEMBER']))).toContain('Saved the admins');
    await command(member, 'setup');
    await slack.waitForCall('views.open', 1);
    const shown = viewText(slack.homeView(installer.userId));
    expect(shown).toContain('"initial_users":["UMEMBER"]');

    await homeClick(installer, picked([]));
    expect(await command(member, 'setup')).toMatch(NOT_ADMIN);
    const audit = await t.deps.stores.audit.recent(TEAM, 10);
    expect(audit.map((entry) => [entry.actor, entry.action, entry.outcome])).toEqual([
      ['UINSTALL', 'admin_removed', 'UMEMBER'],
      ['UINSTALL', 'admin_added', 'UMEMBER'],
    ]);
  });
});
