import { purgeIfDue } from '../../src/slack/oauth/purge';
import { uninstalledKey } from '../../src/store';
import { installThrough } from '../support/oauth-flow';
import { uninstallEventBody } from '../support/slack-payloads';
import { testRedis, type TestRedis } from '../support/redis';
import { slackSignatureHeaders } from '../support/slack-signer';
import {
  startSlackStandIn,
  type SlackStandIn,
  type StandInWorkspace,
} from '../support/slack-stand-in';
import { SIGNING_SECRET, startTestApp, type TestApp } from '../support/test-app';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const RETENTION_MS = 30 * DAY_MS;

const WORKSPACE: StandInWorkspace = { teamId: 'TLATE', installerId: 'UINSTALL' };
const ORG: StandInWorkspace = {
  teamId: 'TORGHOME',
  enterpriseId: 'EORG',
  isEnterpriseInstall: true,
  installerId: 'UORG',
};

let redis: TestRedis;
let slack: SlackStandIn;
let t: TestApp;
/** The app's clock, still unless the tests move it forward. */
let startMs = Date.now();
let offsetMs = 0;
const now = () => new Date(startMs + offsetMs);

beforeAll(async () => {
  redis = await testRedis();
  slack = await startSlackStandIn();
});
afterAll(async () => {
  await slack.close();
  await redis.cleanup();
});
beforeEach(async () => {
  startMs = Date.now();
  offsetMs = 0;
  t = await startTestApp({
    slack,
    settings: { uninstallRetentionMs: RETENTION_MS },
    oauth: { redis: redis.client, now },
  });
});
afterEach(async () => {
  await t.stop();
  await redis.flush();
  slack.reset();
  slack.oauth.clear();
});

/** An uninstall event as Slack signs and sends it, happening at `at` (the app's `now` by default). */
function uninstallEvent(
  type: 'app_uninstalled' | 'tokens_revoked',
  owner: { teamId: string; enterpriseId?: string },
  at: Date = now(),
): string {
  return uninstallEventBody(type, owner, at);
}

async function deliver(body: string): Promise<void> {
  const response = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...slackSignatureHeaders(body, SIGNING_SECRET) },
    body,
  });
  expect(response.status).toBe(200);
  // The listener runs after the acknowledgement: wait for its log line.
  const until = Date.now() + 10_000;
  const seen = t.logs.length;
  while (!t.logs.slice(seen).some((line) => line.includes('uninstall'))) {
    if (Date.now() > until) throw new Error('the uninstall event was not handled');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const installations = () => {
  const found = t.deps.oauth?.installations;
  if (!found) throw new Error('no installations');
  return found;
};

/** The installation serving `workspace`: its own, or its organization's for an org-wide install. */
const installedFor = (workspace: StandInWorkspace) =>
  installations().fresh(
    workspace.isEnterpriseInstall
      ? { enterpriseId: workspace.enterpriseId, isEnterpriseInstall: true }
      : { teamId: workspace.teamId },
  );

describe('uninstalls and re-installs', () => {
  it('ignores a late app_uninstalled or tokens_revoked about an earlier installation', async () => {
    expect((await installThrough(t.base, slack, WORKSPACE)).status).toBe(200);
    offsetMs = HOUR_MS;
    const lateUninstall = uninstallEvent('app_uninstalled', WORKSPACE);
    const lateRevoke = uninstallEvent('tokens_revoked', WORKSPACE);
    await deliver(lateUninstall);
    expect(await installations().forTeam('TLATE')).toBeUndefined();

    offsetMs = 2 * HOUR_MS;
    expect((await installThrough(t.base, slack, WORKSPACE)).status).toBe(200);
    offsetMs = 2 * HOUR_MS + 60_000;
    // Slack retries what it thinks was not delivered, with the first event_time.
    await deliver(lateUninstall);
    await deliver(lateRevoke);

    expect((await installations().forTeam('TLATE'))?.bot?.token).toBe(
      slack.oauth.tokensOf('TLATE')[1],
    );
    expect(await installations().uninstalled('TLATE')).toBeUndefined();
  });

  it('keeps the grace period after an org-wide re-install and a second uninstall', async () => {
    expect((await installThrough(t.base, slack, ORG)).status).toBe(200);
    // A request from one of the organization's workspaces: it is now known to be served.
    await installations()
      .boltStore()
      .fetchInstallation({ teamId: 'TORGONE', enterpriseId: 'EORG', isEnterpriseInstall: true });

    offsetMs = DAY_MS;
    await deliver(uninstallEvent('app_uninstalled', ORG));
    expect(await installations().uninstalled('TORGONE')).toMatchObject({
      at: now().toISOString(),
    });

    offsetMs = 2 * DAY_MS;
    expect((await installThrough(t.base, slack, ORG)).status).toBe(200);
    expect(await installations().uninstalled('TORGONE')).toBeUndefined();

    offsetMs = 20 * DAY_MS;
    await deliver(uninstallEvent('app_uninstalled', ORG));
    const secondUninstall = now().toISOString();
    expect(await installations().uninstalled('TORGONE')).toMatchObject({ at: secondUninstall });

    // 34 days after the first uninstall, 14 after the second: the destinations wait.
    const at35 = new Date(startMs + 35 * DAY_MS);
    expect(await purgeIfDue({ ...t.deps, now: () => at35 }, 'TORGONE')).toBe('kept');
  });

  it('replaces a mark older than the installation (left by a crash) when the app is uninstalled', async () => {
    expect((await installThrough(t.base, slack, WORKSPACE)).status).toBe(200);
    const stale = {
      at: new Date(startMs - 40 * DAY_MS).toISOString(),
      reason: 'app_uninstalled',
    };
    await redis.client.set(uninstalledKey('TLATE'), JSON.stringify(stale));

    offsetMs = DAY_MS;
    await deliver(uninstallEvent('tokens_revoked', WORKSPACE));
    expect(await installations().uninstalled('TLATE')).toEqual({
      at: now().toISOString(),
      reason: 'tokens_revoked',
    });
    // The other event of the pair keeps the fresh mark.
    offsetMs = DAY_MS + 1000;
    await deliver(uninstallEvent('app_uninstalled', WORKSPACE));
    expect(await installations().uninstalled('TLATE')).toMatchObject({ reason: 'tokens_revoked' });
  });

  it.each([
    ['a workspace', WORKSPACE],
    ['an organization', ORG],
  ])(
    'keeps a re-install of %s when a late app_uninstalled arrives and the bot’s clock is two minutes slow, and still deletes on a genuine one',
    async (_label, owner) => {
      // Slack's clock is startMs; the bot's runs two minutes behind it.
      offsetMs = -2 * 60_000;
      expect((await installThrough(t.base, slack, owner)).status).toBe(200);
      // The app is uninstalled at Slack; its event's first delivery is lost.
      slack.oauth.revoke(owner.teamId);
      const uninstalledAt = new Date(startMs);
      const lateRetry = uninstallEvent('app_uninstalled', owner, uninstalledAt);
      // A minute later (by Slack's clock) the app is installed again.
      offsetMs = 60_000 - 2 * 60_000;
      expect((await installThrough(t.base, slack, owner)).status).toBe(200);
      const reinstalled = slack.oauth.tokensOf(owner.teamId)[1];

      // Slack retries the event, with its first event_time: a minute after the re-install's
      // installedAt by the bot's clock, but about the earlier installation.
      await deliver(lateRetry);
      expect((await installedFor(owner))?.bot?.token).toBe(reinstalled);
      expect(slack.callsTo('auth.test').map((call) => call.token)).toContain(reinstalled);

      // Uninstalled for real: Slack revokes the token, then sends the event.
      slack.oauth.revoke(owner.teamId);
      await deliver(uninstallEvent('app_uninstalled', owner, new Date(startMs + 3 * 60_000)));
      expect(await installedFor(owner)).toBeUndefined();
      expect(await installations().uninstalled(owner.teamId)).toMatchObject({
        reason: 'app_uninstalled',
      });
    },
  );
});
