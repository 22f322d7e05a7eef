import { randomBytes } from 'node:crypto';
import { purgeIfDue } from '../../src/slack/oauth/purge';
import { installationKey } from '../../src/store';
import { S3Verifier } from '../../src/verify/verifier';
import {
  VALID_SETTINGS,
  clickCheckAndSave,
  submitSetup,
  waitForCallWhere,
  waitForPostTo,
  waitUntil,
} from '../faults/flow';
import { installThrough } from '../support/oauth-flow';
import { testRedis, type TestRedis } from '../support/redis';
import { localVerifier, startLocalS3, type LocalS3 } from '../support/s3-local';
import { slashCommandBody, uninstallEventBody, type Actor } from '../support/slack-payloads';
import {
  startSlackStandIn,
  type SlackStandIn,
  type StandInWorkspace,
} from '../support/slack-stand-in';
import { startTestApp, type TestApp } from '../support/test-app';

const DAY_MS = 86_400_000;
const RETENTION_MS = 30 * DAY_MS;
const ORG_ID = 'EGRID';
/** The organization installs the app once, from its home workspace, for every workspace. */
const ORG: StandInWorkspace = {
  teamId: 'TGRIDHOME',
  enterpriseId: ORG_ID,
  isEnterpriseInstall: true,
  installerId: 'UORGINSTALL',
};
const WORKSPACE_A = 'TGRIDA';
const WORKSPACE_B = 'TGRIDB';
const BOTH = [WORKSPACE_A, WORKSPACE_B];

/** `userId` acting in `teamId`, a workspace of the organization. */
function actor(userId: string, teamId: string): Actor {
  return { teamId, userId, channelId: `C${teamId}`, enterpriseId: ORG_ID };
}

let redis: TestRedis;
let slack: SlackStandIn;
let s3: LocalS3;
let clients: ReturnType<typeof localVerifier>['clients'];
let t: TestApp;
let startMs = Date.now();
let offsetMs = 0;
const now = () => new Date(startMs + offsetMs);

beforeAll(async () => {
  redis = await testRedis();
  slack = await startSlackStandIn();
  s3 = await startLocalS3();
  ({ clients } = localVerifier(s3.endpoint, 5000));
});
afterAll(async () => {
  clients.destroy();
  await s3.stop();
  await slack.close();
  await redis.cleanup();
});
beforeEach(async () => {
  startMs = Date.now();
  offsetMs = 0;
  t = await startTestApp({
    slack,
    verifier: new S3Verifier(clients, { timeoutMs: 5000 }),
    settings: { uninstallRetentionMs: RETENTION_MS },
    oauth: { redis: redis.client, now },
  });
  expect((await installThrough(t.base, slack, ORG)).status).toBe(200);
  // The organization's people, as users.info describes them.
  slack.setUser('UORGADMIN', { teamId: WORKSPACE_A, enterprise: { id: ORG_ID, isAdmin: true } });
  slack.setUser('UADMINA', { teamId: WORKSPACE_A, isAdmin: true, enterprise: { id: ORG_ID } });
  slack.setUser('UMEMBER', { teamId: WORKSPACE_B, enterprise: { id: ORG_ID } });
  // An admin of another organization: their organization role says nothing here.
  slack.setUser('USTRANGER', {
    teamId: WORKSPACE_B,
    enterprise: { id: 'EOTHER', isAdmin: true, isOwner: true },
  });
});
afterEach(async () => {
  await t.stop();
  await redis.flush();
  slack.reset();
  slack.oauth.clear();
});

/** The organization's bot token, issued by the org-wide install. */
const orgToken = () => slack.oauth.tokensOf(ORG.teamId)[0];

/** `text` as a slash command from `who`: the acknowledgement's text, or '' for a bare ack. */
async function command(who: Actor, text: string, responseUrl = slack.responseUrl()) {
  const answer = await t.post(slashCommandBody(text, who, responseUrl));
  expect(answer.status).toBe(200);
  const raw = await answer.text();
  return raw === '' ? '' : ((JSON.parse(raw) as { text?: string }).text ?? '');
}

/** Setup and Check and Save of a new bucket by `who`, through the app, as a person does them. */
async function connect(who: Actor, name: string): Promise<string> {
  const bucket = `${name}-${randomBytes(3).toString('hex')}`;
  const responseUrl = slack.responseUrl();
  const opened = slack.callsTo('views.open').length;
  expect(await command(who, 'setup', responseUrl)).toBe('');
  expect((await slack.waitForCall('views.open', opened + 1)).token).toBe(orgToken());
  const instructions = await submitSetup(t, slack, {
    responseUrl,
    actor: who,
    settings: { ...VALID_SETTINGS, bucket },
  });
  await s3.createBucket(bucket);
  await s3.putObject(bucket, instructions.challengeKey);
  expect((await clickCheckAndSave(t, instructions.sessionId, responseUrl, who)).status).toBe(200);
  const result = await waitForCallWhere(
    slack,
    'chat.postMessage',
    (body) => body.channel === who.channelId && String(body.text).includes(bucket),
  );
  expect(result.token).toBe(orgToken());
  expect(String(result.body.text)).toBe(`S3 destination ${bucket}: all checks passed`);
  return bucket;
}

/** What `list` shows `who`, as text. */
async function listed(who: Actor): Promise<string> {
  const responseUrl = slack.responseUrl();
  await command(who, 'list', responseUrl);
  return JSON.stringify((await waitForPostTo(slack, responseUrl)).body);
}

const NOT_ADMIN = /Only the workspace’s S3 destination admins/;

describe('an org-wide install on Enterprise Grid', () => {
  it('serves each workspace with the organization’s token and keeps their destinations apart', async () => {
    expect(await redis.client.exists(installationKey(ORG_ID))).toBe(1);
    const orgAdmin = (teamId: string) => actor('UORGADMIN', teamId);

    const bucketA = await connect(orgAdmin(WORKSPACE_A), 'grid-a');
    const bucketB = await connect(orgAdmin(WORKSPACE_B), 'grid-b');

    const inA = await listed(orgAdmin(WORKSPACE_A));
    const inB = await listed(orgAdmin(WORKSPACE_B));
    expect(inA).toContain(bucketA);
    expect(inA).not.toContain(bucketB);
    expect(inB).toContain(bucketB);
    expect(inB).not.toContain(bucketA);
    const saved = async (teamId: string) =>
      (await t.deps.stores.destinations.list(teamId)).map((d) => d.settings.bucket);
    expect(await saved(WORKSPACE_A)).toEqual([bucketA]);
    expect(await saved(WORKSPACE_B)).toEqual([bucketB]);
    expect(await saved(ORG.teamId)).toEqual([]);
  });

  it('lets the organization’s admins and the installer administer every workspace of it', async () => {
    let opened = 0;
    for (const userId of ['UORGADMIN', 'UORGINSTALL']) {
      for (const teamId of BOTH) {
        expect(await command(actor(userId, teamId), 'setup')).toBe('');
        opened += 1;
        expect((await slack.waitForCall('views.open', opened)).token).toBe(orgToken());
      }
    }
  });

  it('lets a workspace’s admin administer that workspace only', async () => {
    const adminOfA = (teamId: string) => actor('UADMINA', teamId);

    expect(await command(adminOfA(WORKSPACE_B), 'setup')).toMatch(NOT_ADMIN);
    expect(await command(adminOfA(WORKSPACE_B), 'remove some-bucket')).toMatch(NOT_ADMIN);
    expect(slack.callsTo('views.open')).toHaveLength(0);

    expect(await command(adminOfA(WORKSPACE_A), 'setup')).toBe('');
    expect((await slack.waitForCall('views.open')).token).toBe(orgToken());
  });

  it('refuses a plain member, and an admin of another organization, in every workspace', async () => {
    for (const userId of ['UMEMBER', 'USTRANGER']) {
      for (const teamId of BOTH) {
        expect(await command(actor(userId, teamId), 'setup')).toMatch(NOT_ADMIN);
      }
    }
    expect(slack.callsTo('views.open')).toHaveLength(0);
  });

  it('keeps every workspace’s destinations for the retention period when the organization uninstalls', async () => {
    const orgAdmin = (teamId: string) => actor('UORGADMIN', teamId);
    const bucketA = await connect(orgAdmin(WORKSPACE_A), 'grid-kept-a');
    const bucketB = await connect(orgAdmin(WORKSPACE_B), 'grid-kept-b');

    offsetMs = DAY_MS;
    // As Slack does once the organization removed the app: its token no longer works.
    slack.oauth.revoke(ORG.teamId);
    const uninstall = uninstallEventBody('app_uninstalled', ORG, now());
    expect((await t.post(uninstall, 'application/json')).status).toBe(200);
    await waitUntil(
      async () => (await redis.client.exists(installationKey(ORG_ID))) === 0,
      'the organization’s installation to go',
    );
    await waitUntil(
      async () =>
        (await t.deps.oauth?.installations.uninstalled(WORKSPACE_B)) !== undefined &&
        (await t.deps.oauth?.installations.uninstalled(WORKSPACE_A)) !== undefined,
      'both workspaces marked uninstalled',
    );

    const at = (days: number) => ({ ...t.deps, now: () => new Date(startMs + days * DAY_MS) });
    for (const teamId of BOTH) expect(await purgeIfDue(at(30), teamId)).toBe('kept');
    expect((await t.deps.stores.destinations.get(WORKSPACE_A, bucketA))?.settings.bucket).toBe(
      bucketA,
    );
    expect((await t.deps.stores.destinations.get(WORKSPACE_B, bucketB))?.settings.bucket).toBe(
      bucketB,
    );

    for (const teamId of BOTH) expect(await purgeIfDue(at(32), teamId)).toBe('purged');
    expect(await t.deps.stores.destinations.list(WORKSPACE_A)).toEqual([]);
    expect(await t.deps.stores.destinations.list(WORKSPACE_B)).toEqual([]);
  });
});
