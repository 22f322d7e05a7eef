import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { webApi } from '@slack/bolt';
import { startTestMonitor } from '../support/monitor';
import { homeChanged } from '../../src/slack/home/refresh';
import { ACTION, SETUP_CALLBACK_ID } from '../../src/slack/ids';
import { parseHomeMetadata } from '../../src/slack/home/view';
import type { SavedDestination, Stores } from '../../src/store';
import { visibleText } from '../support/message-text';
import { startLocalParts, type LocalParts } from '../support/local-parts';
import type { TestRedis } from '../support/redis';
import type { LocalS3 } from '../support/s3-local';
import {
  DEFAULT_ACTOR,
  appHomeOpenedBody,
  blockActionPayload,
  buttonAction,
  setupStateValues,
  setupSubmissionPayload,
} from '../support/slack-payloads';
import { BOT_TOKEN, type TestApp, type TestAppOptions } from '../support/test-app';
import { destinationSettings } from '../support/fixtures';
import { DEFAULT_KEY_TEMPLATE } from '../../src/domain/key-template';

const TEAM = DEFAULT_ACTOR.teamId;
const ADMIN = 'U0ADMIN';
const MEMBER = 'U0BOB';
const CHALLENGE_PREFIX = 's3-destination-challenge-file-';

type PublishedView = Record<string, unknown> & { hash: string };

interface Button {
  action_id: string;
  value?: string;
  confirm?: { text: { text: string } };
}

function buttonsOf(view: PublishedView | undefined): Button[] {
  return ((view?.blocks ?? []) as { elements?: unknown[]; accessory?: unknown }[])
    .flatMap((block) => [...(block.elements ?? []), ...(block.accessory ? [block.accessory] : [])])
    .filter((element): element is Button => (element as { type?: string }).type === 'button');
}

const actionIdsOf = (view: PublishedView | undefined) =>
  buttonsOf(view).map((button) => button.action_id);

/** The buckets a view shows, in order (from their Check now buttons). */
const bucketsOf = (view: PublishedView | undefined) =>
  buttonsOf(view)
    .filter((button) => button.action_id === ACTION.homeVerify)
    .map((button) => button.value);

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen in time`);
    await sleep(25);
  }
}

let redis: TestRedis;
let seeded: Stores;
let s3: LocalS3;
let local: LocalParts;

beforeAll(async () => {
  local = await startLocalParts();
  ({ redis, seeded, s3 } = local);
});
afterAll(async () => {
  await local?.stop();
});

function startApp(options: TestAppOptions = {}): Promise<TestApp> {
  return local.startApp({ homeRefresh: { minIntervalMs: 200, perViewMs: 10 }, ...options });
}

function destination(
  bucket: string,
  overrides: Partial<Omit<SavedDestination, 'settings'>> = {},
): SavedDestination {
  return {
    teamId: TEAM,
    version: 0,
    channelId: 'C0SETUP',
    connectedBy: 'U0CAROL',
    connectedAt: '2024-05-01T10:00:00.000Z',
    challengeKey: `${CHALLENGE_PREFIX}${randomUUID()}`,
    verifiedAt: '2024-05-01T10:00:00.000Z',
    lastCheck: { at: '2024-05-01T10:00:00.000Z', ok: true, summary: 'All checks passed' },
    ...overrides,
    settings: destinationSettings({ bucket }),
  };
}

/** A bucket on the local S3 server holding its challenge file, saved as a passing destination. */
async function connectedBucket(): Promise<SavedDestination> {
  const saved = destination(`home-${randomUUID().slice(0, 8)}`);
  await s3.createBucket(saved.settings.bucket);
  await s3.putObject(saved.settings.bucket, saved.challengeKey);
  const outcome = await seeded.destinations.save(saved);
  if (outcome.status !== 'saved') throw new Error('not saved');
  return outcome.destination;
}

describe('the App Home', () => {
  let t: TestApp;

  afterEach(async () => {
    await t.stop();
    await redis.flush();
  });

  /** `userId` opens the Home tab (a signed app_home_opened); resolves with the view Slack then shows. */
  async function openHome(userId: string, channel = `D${userId}`): Promise<PublishedView> {
    const before = t.slack.callsTo('views.publish').length;
    const body = appHomeOpenedBody(
      { ...DEFAULT_ACTOR, userId },
      { channel, view: t.slack.homeView(userId) },
    );
    const response = await t.post(body, 'application/json');
    expect(response.status).toBe(200);
    await t.slack.waitForCall('views.publish', before + 1);
    const view = t.slack.homeView(userId);
    if (!view) throw new Error('no Home view was published');
    // The app keeps the view's hash once Slack has answered: the next publish names it.
    await until('the view’s hash to be kept', async () => {
      const viewer = await t.deps.stores.homeViewers.get(TEAM, userId);
      return viewer?.hash === view.hash;
    });
    return view;
  }

  /** `userId` presses a button of the Home view Slack shows them. */
  function click(userId: string, actionId: string, value = '') {
    return t.interact(
      blockActionPayload({ ...DEFAULT_ACTOR, userId }, buttonAction(actionId, value), {
        view: t.slack.homeView(userId),
      }),
    );
  }

  const shown = (userId: string) => visibleText(t.slack.homeView(userId));

  it('publishes the workspace’s destinations for whoever opens the Home tab', async () => {
    t = await startApp();
    await seeded.destinations.save(destination('acme-passing'));
    await seeded.destinations.save(
      destination('acme-failing', {
        lastCheck: { at: '2024-05-02T08:30:00.000Z', ok: false, summary: 'Failed: Challenge file' },
      }),
    );
    await seeded.history.append(TEAM, 'acme-passing', {
      at: '2024-05-01T09:00:00.000Z',
      ok: false,
    });
    await seeded.history.append(TEAM, 'acme-passing', { at: '2024-05-01T10:00:00.000Z', ok: true });

    const view = await openHome(ADMIN);

    const [publish] = t.slack.callsTo('views.publish');
    expect(publish.body.user_id).toBe(ADMIN);
    expect(publish.token).toBe(BOT_TOKEN);
    // The first view: there is none to protect yet.
    expect(publish.body).not.toHaveProperty('hash');
    expect(view.type).toBe('home');
    expect(bucketsOf(view)).toEqual(['acme-failing', 'acme-passing']);
    expect(actionIdsOf(view)).toEqual([
      ACTION.homeSetup,
      ACTION.homeVerify,
      ACTION.homeRemove,
      ACTION.homeVerify,
      ACTION.homeRemove,
    ]);
    const text = shown(ADMIN);
    expect(text).toContain(':x: *`acme-failing`* · *last check failed*');
    expect(text).toContain('Last 2 checks, oldest first: :red_square::large_green_square:');
    expect(text).toContain('*Connected*\nby <@U0CAROL>');
    expect(JSON.stringify(view)).not.toContain(CHALLENGE_PREFIX);
    expect(parseHomeMetadata(view.private_metadata as string)).toEqual({
      page: 0,
      channelId: `D${ADMIN}`,
    });
    expect((await t.deps.stores.homeViewers.get(TEAM, ADMIN))?.channelId).toBe(`D${ADMIN}`);
  });

  it('welcomes an empty workspace with the Set up button', async () => {
    t = await startApp();

    const view = await openHome(ADMIN);

    expect(visibleText(view)).toContain('No destinations are connected in this workspace yet.');
    expect(actionIdsOf(view)).toEqual([ACTION.homeSetup]);
  });

  it('publishes nothing for the Messages tab, nor again for a view it has just published', async () => {
    t = await startApp();
    await openHome(ADMIN);

    await t.post(
      appHomeOpenedBody({ ...DEFAULT_ACTOR, userId: ADMIN }, { tab: 'messages' }),
      'application/json',
    );
    await t.post(
      appHomeOpenedBody({ ...DEFAULT_ACTOR, userId: ADMIN }, { view: t.slack.homeView(ADMIN) }),
      'application/json',
    );
    await sleep(300);

    expect(t.slack.callsTo('views.publish')).toHaveLength(1);
  });

  it('shows a member who is not an admin no Set up and no Remove, and refuses them both', async () => {
    t = await startApp({ settings: { adminUserIds: [ADMIN] } });
    const saved = await connectedBucket();
    const { bucket } = saved.settings;

    const memberView = await openHome(MEMBER);
    expect(actionIdsOf(memberView)).toEqual([ACTION.homeVerify]);
    expect(visibleText(memberView)).toContain(
      'Only the workspace’s S3 destination admins can set up or remove destinations.',
    );
    expect(actionIdsOf(await openHome(ADMIN))).toEqual([
      ACTION.homeSetup,
      ACTION.homeVerify,
      ACTION.homeRemove,
    ]);

    // Buttons a member never saw, forged: the actions check again.
    await click(MEMBER, ACTION.homeRemove, bucket);
    await until('the refusal', () =>
      shown(MEMBER).includes('Only the workspace’s S3 destination admins can remove destinations.'),
    );
    await click(MEMBER, ACTION.homeSetup);
    await until('the refusal', () =>
      shown(MEMBER).includes('Only the workspace’s S3 destination admins can run setup.'),
    );

    expect(await t.deps.stores.destinations.get(TEAM, bucket)).toBeDefined();
    expect(t.slack.callsTo('views.open')).toHaveLength(0);
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('Set up opens the setup modal, to be answered in the user’s direct messages with the bot', async () => {
    t = await startApp();
    await openHome(ADMIN, 'D0ADMINDM');

    await click(ADMIN, ACTION.homeSetup);
    const open = await t.slack.waitForCall('views.open');

    expect(open.body.trigger_id).toMatch(/^trigger-/);
    const modal = open.body.view as { callback_id: string; private_metadata: string };
    expect(modal.callback_id).toBe(SETUP_CALLBACK_ID);
    expect(JSON.parse(modal.private_metadata)).toEqual({ channelId: 'D0ADMINDM' });

    // Submitted, the setup is answered there, to that user alone: there is no response_url.
    const submitted = await t.interact(
      setupSubmissionPayload(
        { ...DEFAULT_ACTOR, userId: ADMIN },
        setupStateValues({
          bucket: 'acme-from-home',
          region: 'us-east-1',
          format: 'jsonl',
          keyTemplate: DEFAULT_KEY_TEMPLATE,
        }),
        modal.private_metadata,
      ),
    );
    expect(submitted.status).toBe(200);
    const instructions = await t.slack.waitForCall('chat.postEphemeral');
    expect(instructions.body).toMatchObject({ channel: 'D0ADMINDM', user: ADMIN });
    expect(JSON.stringify(instructions.body)).toContain(CHALLENGE_PREFIX);
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('Check now runs verify’s checks, tells the destination’s channel and shows the result', async () => {
    t = await startApp();
    const saved = await connectedBucket();
    const { bucket } = saved.settings;
    await openHome(MEMBER);

    await click(MEMBER, ACTION.homeVerify, bucket);
    const passed = await t.slack.waitForCall('chat.postMessage');
    await until('the view to show the check', () => shown(MEMBER).includes('Checked'));

    expect(passed.body.channel).toBe('C0SETUP');
    expect(passed.body.text).toBe(`S3 destination ${bucket}: all checks passed`);
    expect(visibleText(passed.body)).toContain(`<@${MEMBER}> verified \`${bucket}\``);
    expect(shown(MEMBER)).toContain(
      `Checked \`${bucket}\`: its result is below, and in its channel.`,
    );
    expect(shown(MEMBER)).toContain('Last check, oldest first: :large_green_square:');
    // "Checking…" first, then the result: each publish passes the hash of the view before it.
    const publishes = t.slack.callsTo('views.publish').slice(1);
    expect(publishes.length).toBeGreaterThanOrEqual(2);
    for (const publish of publishes) expect(publish.body.hash).toEqual(expect.any(String));

    await s3.deleteObject(bucket, saved.challengeKey);
    await click(MEMBER, ACTION.homeVerify, bucket);
    const failed = await t.slack.waitForCall('chat.postMessage', 2);
    await until('the failure in the view', () =>
      shown(MEMBER).includes(':large_green_square::red_square:'),
    );

    expect(failed.body.text).toBe(`S3 destination ${bucket}: Failed: Challenge file`);
    expect(shown(MEMBER)).toContain(`:x: *\`${bucket}\`* · *last check failed*`);
    expect((await t.deps.stores.history.recent(TEAM, [bucket])).get(bucket)).toEqual([
      { at: expect.any(String), ok: true },
      { at: expect.any(String), ok: false },
    ]);
    expect(JSON.stringify(t.slack.calls)).not.toContain(saved.challengeKey);
  });

  it('Remove, once Slack’s dialog confirms it, removes as confirm_remove does', async () => {
    t = await startApp();
    const saved = await connectedBucket();
    const { bucket } = saved.settings;
    await seeded.history.append(TEAM, bucket, { at: '2024-05-01T10:00:00.000Z', ok: true });
    const view = await openHome(ADMIN);
    const remove = buttonsOf(view).find((button) => button.action_id === ACTION.homeRemove);
    expect(remove?.confirm?.text.text).toContain(`Remove ${bucket}?`);

    await click(ADMIN, ACTION.homeRemove, bucket);
    const notice = await t.slack.waitForCall('chat.postMessage');
    await until('the view without it', () => shown(ADMIN).includes(`Removed \`${bucket}\``));

    expect(notice.body.channel).toBe('C0SETUP');
    expect(visibleText(notice.body)).toContain(
      `<@${ADMIN}> removed the S3 destination \`${bucket}\``,
    );
    expect(await t.deps.stores.destinations.get(TEAM, bucket)).toBeUndefined();
    expect((await t.deps.stores.history.recent(TEAM, [bucket])).get(bucket)).toEqual([]);
    expect(bucketsOf(t.slack.homeView(ADMIN))).toEqual([]);
    expect(shown(ADMIN)).toContain(`<@${ADMIN}> removed \`${bucket}\`: removed`);
  });

  it('pages with Previous and Next', async () => {
    t = await startApp();
    for (let i = 0; i < 25; i += 1) {
      await seeded.destinations.save(destination(`acme-${String(i).padStart(2, '0')}`));
    }
    const first = await openHome(ADMIN);
    expect(bucketsOf(first)).toHaveLength(20);

    await click(ADMIN, ACTION.homePage, '1');
    await until('page 2', () => shown(ADMIN).includes('page 2 of 2'));

    expect(bucketsOf(t.slack.homeView(ADMIN))).toEqual([
      'acme-20',
      'acme-21',
      'acme-22',
      'acme-23',
      'acme-24',
    ]);
    expect((await t.deps.stores.homeViewers.get(TEAM, ADMIN))?.page).toBe(1);
  });

  it('follows a monitor alert in the App Home of everyone who opened it lately', async () => {
    t = await startApp();
    const saved = await connectedBucket();
    const { bucket } = saved.settings;
    const before: Record<string, string> = {
      [ADMIN]: (await openHome(ADMIN)).hash,
      [MEMBER]: (await openHome(MEMBER)).hash,
    };
    const publishedBefore = t.slack.callsTo('views.publish').length;
    await s3.deleteObject(bucket, saved.challengeKey);
    const client = new webApi.WebClient(BOT_TOKEN, { slackApiUrl: t.slack.apiUrl });
    const monitor = startTestMonitor(t.deps, client);

    try {
      const swept = await monitor.runRound();
      expect(swept?.alerts).toBe(1);
      await until('both views to show the failure', () =>
        [ADMIN, MEMBER].every((user) => shown(user).includes('*last check failed*')),
      );
    } finally {
      await monitor.stop();
    }

    const refreshes = t.slack.callsTo('views.publish').slice(publishedBefore);
    expect(refreshes.map((call) => call.body.user_id).sort()).toEqual([ADMIN, MEMBER].sort());
    // Each refresh names the view it replaces, so it never overwrites a newer one.
    for (const call of refreshes) {
      expect(call.body.hash).toBe(before[call.body.user_id as string]);
    }
    expect(shown(ADMIN)).toContain(`The monitor alerted about \`${bucket}\``);
    expect(JSON.stringify(t.slack.callsTo('views.publish'))).not.toContain(CHALLENGE_PREFIX);
  });

  it('never overwrites a view newer than the one it replaces', async () => {
    t = await startApp();
    await seeded.destinations.save(destination('acme-exports'));
    await openHome(ADMIN);
    // A view published since, by a replica whose record of it was lost.
    await fetch(`${t.slack.apiUrl}views.publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${BOT_TOKEN}` },
      body: JSON.stringify({
        user_id: ADMIN,
        view: {
          type: 'home',
          blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'newer' } }],
        },
      }),
    });
    const attempts = t.slack.callsTo('views.publish').length;

    homeChanged(t.deps, TEAM, t.app.client);
    await t.slack.waitForCall('views.publish', attempts + 1);
    await sleep(100);

    expect(shown(ADMIN)).toBe('newer');
    expect(t.slack.callsTo('views.publish')).toHaveLength(attempts + 1);
  });

  it('folds a burst of changes into few refreshes, one replica at a time', async () => {
    t = await startApp({ homeRefresh: { minIntervalMs: 400, perViewMs: 10 } });
    const other = await startApp({
      slack: t.slack,
      homeRefresh: { minIntervalMs: 400, perViewMs: 10 },
    });
    try {
      await seeded.destinations.save(destination('acme-exports'));
      await openHome(ADMIN);
      await sleep(1100);
      const before = t.slack.callsTo('views.publish').length;

      // Twenty changes at once, on two replicas.
      for (let i = 0; i < 10; i += 1) {
        homeChanged(t.deps, TEAM, t.app.client);
        homeChanged(other.deps, TEAM, other.app.client);
      }
      await t.slack.waitForCall('views.publish', before + 1);
      await sleep(200);
      expect(t.slack.callsTo('views.publish')).toHaveLength(before + 1);
      await until('the replicas to settle', () => !t.deps.home?.size && !other.deps.home?.size);

      // The other replica's round waited for the window; its viewer was then refreshed at most once more.
      expect(t.slack.callsTo('views.publish').length - before).toBeLessThanOrEqual(2);
    } finally {
      await other.stop();
    }
  });
});
