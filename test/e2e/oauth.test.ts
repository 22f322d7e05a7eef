import { randomBytes } from 'node:crypto';
import { startTestMonitor } from '../support/monitor';
import { installedWorkspaceClients } from '../../src/slack/team-clients';
import type { Redis } from 'ioredis';
import { INSTALLATION_UNREADABLE } from '../../src/slack/oauth/store-unavailable';
import { createRedisClient, installationKey, uninstalledKey, waitForRedis } from '../../src/store';
import { S3Verifier } from '../../src/verify/verifier';
import {
  CHALLENGE,
  VALID_SETTINGS,
  readInstructions,
  clickCheckAndSave,
  waitForPostTo,
  waitUntil,
} from '../faults/flow';
import { startRedisProxy, testRedis, type TestRedis } from '../support/redis';
import { savedDestination } from '../support/fixtures';
import { workspaceInstallation } from '../support/installation';
import { localVerifier, startLocalS3, type LocalS3 } from '../support/s3-local';
import {
  interactionBody,
  setupStateValues,
  setupSubmissionPayload,
  slashCommandBody,
  type Actor,
} from '../support/slack-payloads';
import { slackSignatureHeaders } from '../support/slack-signer';
import {
  startSlackStandIn,
  type SlackStandIn,
  type StandInWorkspace,
} from '../support/slack-stand-in';
import { SIGNING_SECRET, startTestApp, type TestApp } from '../support/test-app';

const ALPHA: StandInWorkspace = { teamId: 'TALPHA', teamName: 'Alpha Corp', installerId: 'UALICE' };
const BETA: StandInWorkspace = { teamId: 'TBETA', teamName: 'Beta Inc', installerId: 'UBOB' };
const alice: Actor = { teamId: 'TALPHA', userId: 'UALICE', channelId: 'CALPHA' };
const bob: Actor = { teamId: 'TBETA', userId: 'UBOB', channelId: 'CBETA' };

let redis: TestRedis;
let slack: SlackStandIn;
let s3: LocalS3;
let verifier: ReturnType<typeof localVerifier>;
const running: TestApp[] = [];
/** The installations' clock: tests move it (and the stand-in's) to make tokens expire. */
let clockOffsetMs = 0;
const now = () => new Date(Date.now() + clockOffsetMs);

async function startApp(
  options: { refreshBeforeSeconds?: number; retentionMs?: number; client?: Redis } = {},
) {
  const client = options.client ?? redis.client;
  const t = await startTestApp({
    slack,
    verifier: new S3Verifier(verifier.clients, { timeoutMs: 5000 }),
    settings:
      options.retentionMs !== undefined ? { uninstallRetentionMs: options.retentionMs } : {},
    oauth: {
      redis: client,
      now,
      ...(options.refreshBeforeSeconds !== undefined
        ? { refreshBeforeSeconds: options.refreshBeforeSeconds }
        : {}),
    },
  });
  running.push(t);
  return t;
}

beforeAll(async () => {
  redis = await testRedis();
  slack = await startSlackStandIn();
  s3 = await startLocalS3();
  verifier = localVerifier(s3.endpoint, 5000);
});

afterAll(async () => {
  verifier.clients.destroy();
  await s3.stop();
  await slack.close();
  await redis.cleanup();
});

afterEach(async () => {
  while (running.length > 0) await running.pop()?.stop();
  await redis.flush();
  slack.reset();
  slack.oauth.clear();
  clockOffsetMs = 0;
});

/** `GET /slack/install` on `app`: the page, its Slack link's state and the state cookie. */
async function beginInstall(app: TestApp) {
  const response = await fetch(`${app.base}/slack/install`);
  const page = await response.text();
  const href = /href="([^"]+)"/.exec(page)?.[1]?.replace(/&amp;/g, '&');
  const state = href ? new URL(href).searchParams.get('state') : null;
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0];
  return { response, page, href, state, cookie };
}

/** Slack sends the browser back to `/slack/oauth_redirect` on `app` with these parameters. */
function finishInstall(app: TestApp, params: Record<string, string>, cookie: string) {
  return fetch(`${app.base}/slack/oauth_redirect?${new URLSearchParams(params).toString()}`, {
    headers: cookie ? { cookie } : {},
    redirect: 'manual',
  });
}

/** The whole install of `workspace`, begun on `from` and finished on `to`. */
async function install(workspace: StandInWorkspace, from: TestApp, to: TestApp = from) {
  const begun = await beginInstall(from);
  if (!begun.state) throw new Error('the install page has no Slack link with a state');
  const code = slack.oauth.issueCode(workspace);
  const finished = await finishInstall(to, { code, state: begun.state }, begun.cookie);
  return { status: finished.status, page: await finished.text() };
}

function signedPost(app: TestApp, body: string, contentType: string) {
  return fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': contentType, ...slackSignatureHeaders(body, SIGNING_SECRET) },
    body,
  });
}

function eventBody(teamId: string, event: Record<string, unknown>): string {
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: teamId,
    api_app_id: 'A0S3DEST',
    event: { ...event, event_ts: String(Date.now() / 1000) },
    type: 'event_callback',
    event_id: `Ev${randomBytes(6).toString('hex')}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      { team_id: teamId, user_id: `UBOT${teamId}`, is_bot: true, is_enterprise_install: false },
    ],
  });
}

const uninstalled = (teamId: string) => eventBody(teamId, { type: 'app_uninstalled' });
const tokensRevoked = (teamId: string) =>
  eventBody(teamId, { type: 'tokens_revoked', tokens: { oauth: [], bot: [`UBOT${teamId}`] } });

/** A full setup through the app: the modal, the instructions, the challenge file, Check and Save. */
async function connect(app: TestApp, actor: Actor, name: string) {
  // The local S3 outlives each test: a bucket name of this test's own.
  const bucket = `${name}-${randomBytes(3).toString('hex')}`;
  const responseUrl = slack.responseUrl();
  const command = slashCommandBody('setup', actor, responseUrl);
  expect((await signedPost(app, command, 'application/x-www-form-urlencoded')).status).toBe(200);
  await waitUntil(
    () =>
      slack
        .callsTo('views.open')
        .some((call) => slack.oauth.teamOf(call.token ?? '') === actor.teamId),
    `views.open for ${actor.teamId}`,
  );
  const metadata = JSON.stringify({ channelId: actor.channelId, responseUrl });
  const submission = setupSubmissionPayload(
    actor,
    setupStateValues({ ...VALID_SETTINGS, bucket }),
    metadata,
  );
  const submitted = await app.post(interactionBody(submission));
  expect(submitted.status).toBe(200);
  const instructions = readInstructions(await waitForPostTo(slack, responseUrl));
  await s3.createBucket(bucket);
  await s3.putObject(bucket, instructions.challengeKey);
  const before = slack.callsTo('chat.postMessage').length;
  expect((await clickCheckAndSave(app, instructions.sessionId, responseUrl, actor)).status).toBe(
    200,
  );
  await waitUntil(
    () => slack.callsTo('chat.postMessage').length > before,
    `the Check and Save result for ${actor.teamId}`,
  );
  return { ...instructions, bucket };
}

/** The `list` a user gets, as text. */
async function list(app: TestApp, actor: Actor): Promise<string> {
  const responseUrl = slack.responseUrl();
  await signedPost(
    app,
    slashCommandBody('list', actor, responseUrl),
    'application/x-www-form-urlencoded',
  );
  return JSON.stringify((await waitForPostTo(slack, responseUrl)).body);
}

/** Every value Redis holds under this test's prefix, whatever its type, as one text. */
async function everythingInRedis(): Promise<string> {
  const parts: string[] = [];
  for (const key of await redis.keys()) {
    const type = await redis.client.type(key);
    if (type === 'string') parts.push((await redis.client.get(key)) ?? '');
    else if (type === 'set') parts.push(...(await redis.client.smembers(key)));
    else if (type === 'zset') parts.push(...(await redis.client.zrange(key, '0', '-1')));
    else if (type === 'list') parts.push(...(await redis.client.lrange(key, 0, -1)));
    else if (type === 'hash') parts.push(JSON.stringify(await redis.client.hgetall(key)));
    else if (type === 'stream')
      parts.push(JSON.stringify(await redis.client.xrange(key, '-', '+')));
    parts.push(key);
  }
  return parts.join('\n');
}

describe('installing the app', () => {
  it('serves an Add to Slack page whose link carries a state, and sets the state cookie', async () => {
    const app = await startApp();
    const begun = await beginInstall(app);
    expect(begun.response.status).toBe(200);
    expect(begun.page).toContain('Add to Slack');
    const link = new URL(begun.href ?? '');
    expect(link.origin + link.pathname).toBe('https://slack.com/oauth/v2/authorize');
    expect(link.searchParams.get('scope')).toBe('commands,chat:write,chat:write.public,users:read');
    expect(link.searchParams.get('client_id')).toBe('1111.2222');
    expect(begun.cookie).toBe(`slack-app-oauth-state=${begun.state}`);
  });

  it('finishes on another process an install begun on one, and stores it sealed', async () => {
    const first = await startApp();
    const second = await startApp();
    const result = await install(ALPHA, first, second);
    expect(result.status).toBe(200);
    expect(result.page).toContain('S3 Destination is installed');
    expect(result.page).toContain('Alpha Corp');

    const stored = await redis.client.get(installationKey('TALPHA'));
    expect(stored).toMatch(/^s3dsec:2:[0-9a-f]{8}:/);
    const [token] = slack.oauth.tokensOf('TALPHA');
    expect(stored).not.toContain(token);
    const installation = await second.deps.oauth?.installations.fresh({ teamId: 'TALPHA' });
    expect(installation?.bot?.token).toBe(token);
    expect(installation?.bot?.userId).toBe('UBOTTALPHA');
    expect(installation?.bot?.id).toBe('BBOTTALPHA');
    expect(installation?.appId).toBe('A0S3DEST');
    expect(installation?.bot?.scopes).toEqual([
      'commands',
      'chat:write',
      'chat:write.public',
      'users:read',
    ]);
  });

  it('refuses a forged state without asking Slack for a token', async () => {
    const app = await startApp();
    const begun = await beginInstall(app);
    const forged = `${begun.state?.split('.')[0]}.${'A'.repeat(43)}`;
    const code = slack.oauth.issueCode(ALPHA);
    const response = await finishInstall(
      app,
      { code, state: forged },
      `slack-app-oauth-state=${forged}`,
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('This installation link has expired');
    expect(slack.callsTo('oauth.v2.access')).toHaveLength(0);
    expect(await redis.client.exists(installationKey('TALPHA'))).toBe(0);
  });

  it('accepts a state once, and only in the browser that began the install', async () => {
    const app = await startApp();
    const begun = await beginInstall(app);
    const state = begun.state ?? '';
    const otherBrowser = await finishInstall(
      app,
      { code: slack.oauth.issueCode(ALPHA), state },
      '',
    );
    expect(otherBrowser.status).toBe(400);

    const again = await beginInstall(app);
    const once = { code: slack.oauth.issueCode(ALPHA), state: again.state ?? '' };
    expect((await finishInstall(app, once, again.cookie)).status).toBe(200);
    const replay = { code: slack.oauth.issueCode(ALPHA), state: again.state ?? '' };
    const replayed = await finishInstall(app, replay, again.cookie);
    expect(replayed.status).toBe(400);
    expect(await replayed.text()).toContain('expired, was already used');
  });

  it('says the install was cancelled when the person denies consent', async () => {
    const app = await startApp();
    const begun = await beginInstall(app);
    const response = await finishInstall(
      app,
      { error: 'access_denied', state: begun.state ?? '' },
      begun.cookie,
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Installation cancelled');
    expect(slack.callsTo('oauth.v2.access')).toHaveLength(0);
  });

  it('says what Slack answered when it refuses the code, never with a 5xx', async () => {
    const app = await startApp();
    const begun = await beginInstall(app);
    const response = await finishInstall(
      app,
      { code: 'never-issued', state: begun.state ?? '' },
      begun.cookie,
    );
    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).toContain('Slack answered <code>invalid_code</code>');
    expect(page).toContain('Start the installation again');
  });
});

describe('many workspaces', () => {
  it('serves two workspaces, each with its own token, and shows each only its own', async () => {
    const app = await startApp();
    await install(ALPHA, app);
    await install(BETA, app);
    slack.reset();

    const alphaChallenge = await connect(app, alice, 'alpha-lake');
    const alphaLake = alphaChallenge.bucket;
    const alphaCalls = slack.calls.filter((call) => call.token);
    expect(alphaCalls.length).toBeGreaterThan(0);
    expect(new Set(alphaCalls.map((call) => slack.oauth.teamOf(call.token ?? '')))).toEqual(
      new Set(['TALPHA']),
    );
    slack.reset();

    const betaChallenge = await connect(app, bob, 'beta-lake');
    const betaLake = betaChallenge.bucket;
    // Bob clicks Check and Save on Alpha's setup session: his workspace has no such session.
    const stolen = slack.responseUrl();
    expect((await clickCheckAndSave(app, alphaChallenge.sessionId, stolen, bob)).status).toBe(200);
    const refused = JSON.stringify((await waitForPostTo(slack, stolen)).body);
    expect(refused).not.toContain(alphaLake);
    expect(await app.deps.stores.destinations.get('TBETA', alphaLake)).toBeUndefined();
    const betaCalls = slack.calls.filter((call) => call.token);
    expect(new Set(betaCalls.map((call) => slack.oauth.teamOf(call.token ?? '')))).toEqual(
      new Set(['TBETA']),
    );
    const posted = slack.callsTo('chat.postMessage').map((call) => call.body.channel);
    expect(posted).toEqual(['CBETA']);

    const alphaList = await list(app, alice);
    expect(alphaList).toContain(alphaLake);
    expect(alphaList).not.toContain(betaLake);
    const betaList = await list(app, bob);
    expect(betaList).toContain(betaLake);
    expect(betaList).not.toContain(alphaLake);

    // Redis holds no token and no challenge name in plain text.
    const everything = await everythingInRedis();
    for (const token of [...slack.oauth.tokensOf('TALPHA'), ...slack.oauth.tokensOf('TBETA')]) {
      expect(everything).not.toContain(token);
    }
    expect(everything).not.toContain(alphaChallenge.challengeKey);
    expect(everything).not.toContain(betaChallenge.challengeKey);
    expect(everything).not.toMatch(CHALLENGE);
    // Nor does any log line, at trace level.
    const logged = app.logs.join('\n');
    for (const token of [...slack.oauth.tokensOf('TALPHA'), ...slack.oauth.tokensOf('TBETA')]) {
      expect(logged).not.toContain(token);
    }
    expect(logged).not.toMatch(CHALLENGE);
  });

  it('acknowledges and ignores a workspace without an installation, logging it once', async () => {
    const app = await startApp();
    const stranger: Actor = { teamId: 'TSTRANGER', userId: 'USTRANGER', channelId: 'CX' };
    for (let i = 0; i < 3; i += 1) {
      const body = slashCommandBody('setup', stranger, slack.responseUrl());
      const response = await signedPost(app, body, 'application/x-www-form-urlencoded');
      expect(response.status).toBe(200);
    }
    expect(slack.calls.filter((call) => call.method !== 'response_url')).toHaveLength(0);
    const said = app.logs.filter(
      (line) => /not installed|did not succeed/.test(line) && !line.includes(`"level":20`),
    );
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('TSTRANGER');
  });
});

describe('an org-wide install', () => {
  it('is kept under the organization and serves each of its workspaces, requests and monitor alike', async () => {
    const app = await startApp();
    const org: StandInWorkspace = {
      teamId: 'TORGHOME',
      enterpriseId: 'EORG',
      isEnterpriseInstall: true,
      installerId: 'UORG',
    };
    const result = await install(org, app);
    expect(result.status).toBe(200);
    expect(await redis.client.get(installationKey('EORG'))).toMatch(/^s3dsec:2:/);
    expect(await redis.client.exists(installationKey('TORGHOME'))).toBe(0);

    slack.reset();
    const member: Actor = { teamId: 'TORGONE', userId: 'UORG', channelId: 'CORG' };
    const params = new URLSearchParams(slashCommandBody('setup', member, slack.responseUrl()));
    params.set('enterprise_id', 'EORG');
    params.set('is_enterprise_install', 'true');
    const body = params.toString();
    expect((await signedPost(app, body, 'application/x-www-form-urlencoded')).status).toBe(200);
    const open = await slack.waitForCall('views.open');
    expect(open.token).toBe(slack.oauth.tokensOf('TORGHOME')[0]);

    // The monitor finds the organization's token from the workspace alone.
    const installations = app.deps.oauth?.installations;
    const clients = installedWorkspaceClients(installations ?? { forTeam: async () => undefined }, {
      slackApiUrl: slack.apiUrl,
    });
    expect((await clients.forTeam('TORGONE'))?.token).toBe(open.token);
    expect(await clients.forTeam('TELSEWHERE')).toBeUndefined();
  });
});

describe('uninstalling', () => {
  it('deletes the installation and sessions in either order, keeps destinations, and a re-install finds them', async () => {
    const app = await startApp();
    await install(ALPHA, app);
    const { bucket } = await connect(app, alice, 'alpha-lake');
    // A setup left open: its session must go with the installation.
    const responseUrl = slack.responseUrl();
    await signedPost(
      app,
      slashCommandBody('setup', alice, responseUrl),
      'application/x-www-form-urlencoded',
    );
    const open = setupSubmissionPayload(
      alice,
      setupStateValues({ ...VALID_SETTINGS, bucket: 'alpha-pending' }),
      JSON.stringify({ channelId: alice.channelId, responseUrl }),
    );
    await app.post(interactionBody(open));
    await waitForPostTo(slack, responseUrl);
    expect((await redis.keys()).some((key) => key.includes(':session:'))).toBe(true);

    // Slack revokes the tokens, then sends the events.
    slack.oauth.revoke('TALPHA');
    expect((await signedPost(app, tokensRevoked('TALPHA'), 'application/json')).status).toBe(200);
    await waitUntil(
      async () => (await redis.client.exists(installationKey('TALPHA'))) === 0,
      'the installation to go',
    );
    expect((await signedPost(app, uninstalled('TALPHA'), 'application/json')).status).toBe(200);
    await waitUntil(
      async () => !(await redis.keys()).some((key) => key.includes(':session')),
      'the sessions to go',
    );
    const mark = JSON.parse((await redis.client.get(uninstalledKey('TALPHA'))) ?? '{}') as {
      reason?: string;
    };
    // The first event marked it; the second changed nothing.
    expect(mark.reason).toBe('tokens_revoked');
    expect(await app.deps.stores.destinations.get('TALPHA', bucket)).toBeDefined();

    // Requests from the workspace now reach no listener.
    slack.reset();
    await signedPost(
      app,
      slashCommandBody('list', alice, slack.responseUrl()),
      'application/x-www-form-urlencoded',
    );
    expect(slack.calls).toHaveLength(0);

    await install(ALPHA, app);
    expect(await redis.client.exists(uninstalledKey('TALPHA'))).toBe(0);
    expect(await list(app, alice)).toContain(bucket);
  });

  it('purges an uninstalled workspace’s destinations once the retention is over, and says so in the audit trail', async () => {
    const app = await startApp({ retentionMs: 1 });
    await install(ALPHA, app);
    await install(BETA, app);
    const alpha = await connect(app, alice, 'alpha-lake');
    const beta = await connect(app, bob, 'beta-lake');
    // Slack revokes the tokens, then sends the events.
    slack.oauth.revoke('TALPHA');
    await signedPost(app, uninstalled('TALPHA'), 'application/json');
    await waitUntil(
      async () => (await redis.client.exists(uninstalledKey('TALPHA'))) === 1,
      'the mark',
    );
    await new Promise((resolve) => setTimeout(resolve, 5));

    const installations = app.deps.oauth?.installations;
    if (!installations) throw new Error('no installations');
    const clients = installedWorkspaceClients(installations, { slackApiUrl: slack.apiUrl });
    const monitor = startTestMonitor(app.deps, clients);
    const result = await monitor.runRound();
    await monitor.stop();

    expect(result?.checked).toBe(1);
    expect(await app.deps.stores.destinations.list('TALPHA')).toEqual([]);
    expect(await redis.client.exists(uninstalledKey('TALPHA'))).toBe(0);
    expect(
      (await app.deps.stores.destinations.list('TBETA')).map((d) => d.settings.bucket),
    ).toEqual([beta.bucket]);
    const trail = await app.deps.stores.audit.recent('TALPHA', 1);
    expect(trail[0]).toMatchObject({ actor: 'uninstall', action: 'remove', bucket: alpha.bucket });
    expect(trail[0].outcome).toMatch(/^purged: the app was uninstalled on \d{4}-\d{2}-\d{2}$/);
  });

  it('keeps an uninstalled workspace’s destinations while the retention lasts, unwatched', async () => {
    const app = await startApp();
    await install(ALPHA, app);
    const { bucket } = await connect(app, alice, 'alpha-lake');
    // Slack revokes the tokens, then sends the events.
    slack.oauth.revoke('TALPHA');
    await signedPost(app, uninstalled('TALPHA'), 'application/json');
    await waitUntil(
      async () => (await redis.client.exists(uninstalledKey('TALPHA'))) === 1,
      'the mark',
    );
    const installations = app.deps.oauth?.installations;
    if (!installations) throw new Error('no installations');
    const clients = installedWorkspaceClients(installations, { slackApiUrl: slack.apiUrl });
    const monitor = startTestMonitor(app.deps, clients);
    const result = await monitor.runRound();
    await monitor.stop();
    expect(result?.checked).toBe(0);
    expect(await app.deps.stores.destinations.get('TALPHA', bucket)).toBeDefined();
  });
});

describe('a workspace that never installed the app', () => {
  it('keeps its saved destinations unwatched, says so once, and watches them once it installs', async () => {
    const app = await startApp();
    await app.deps.stores.destinations.save(savedDestination('TALPHA', 'alpha-before-oauth'));
    const installations = app.deps.oauth?.installations;
    if (!installations) throw new Error('no installations');
    const clients = installedWorkspaceClients(installations, { slackApiUrl: slack.apiUrl });
    const monitor = startTestMonitor(app.deps, clients);
    try {
      expect((await monitor.runRound())?.checked).toBe(0);
      expect((await monitor.runRound())?.checked).toBe(0);
      const said = app.logs.filter((line) => line.includes('has no installation'));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain('TALPHA');
      expect(await app.deps.stores.destinations.get('TALPHA', 'alpha-before-oauth')).toBeDefined();

      await install(ALPHA, app);
      expect((await monitor.runRound())?.checked).toBe(1);
    } finally {
      await monitor.stop();
    }
  });
});

describe('token rotation', () => {
  const ROTATING: StandInWorkspace = { ...ALPHA, expiresInSeconds: 3600 };

  it('refreshes an expiring token once while two processes serve the workspace at once', async () => {
    const first = await startApp({ refreshBeforeSeconds: 600 });
    const second = await startApp({ refreshBeforeSeconds: 600 });
    await install(ROTATING, first);
    expect(slack.oauth.refreshes).toBe(0);
    const [original] = slack.oauth.tokensOf('TALPHA');

    // 55 minutes later: 5 minutes left, within the 10 minutes before expiry when it is refreshed.
    clockOffsetMs = 3300 * 1000;
    slack.oauth.advance(3300);
    slack.reset();
    const requests = [first, second, first, second, first, second].map((app) =>
      signedPost(
        app,
        slashCommandBody('setup', alice, slack.responseUrl()),
        'application/x-www-form-urlencoded',
      ),
    );
    for (const response of await Promise.all(requests)) expect(response.status).toBe(200);
    await waitUntil(() => slack.callsTo('views.open').length === 6, 'six modals');

    expect(slack.oauth.refreshes).toBe(1);
    expect(slack.oauth.refusedRefreshes).toBe(0);
    const tokens = slack.oauth.tokensOf('TALPHA');
    expect(tokens).toHaveLength(2);
    const opened = slack.callsTo('views.open').map((call) => call.token);
    expect(opened.every((token) => token === original || token === tokens[1])).toBe(true);

    // Both processes now use the new token; the old one expires and nothing refreshes again.
    clockOffsetMs += 600 * 1000;
    slack.oauth.advance(600);
    slack.reset();
    await signedPost(
      first,
      slashCommandBody('setup', alice, slack.responseUrl()),
      'application/x-www-form-urlencoded',
    );
    await signedPost(
      second,
      slashCommandBody('setup', alice, slack.responseUrl()),
      'application/x-www-form-urlencoded',
    );
    await waitUntil(() => slack.callsTo('views.open').length === 2, 'two more modals');
    expect(slack.callsTo('views.open').map((call) => call.token)).toEqual([tokens[1], tokens[1]]);
    expect(slack.oauth.refreshes).toBe(1);
  });

  it('refreshes for the monitor too, which has no request to trigger it', async () => {
    const app = await startApp({ refreshBeforeSeconds: 600 });
    await install(ROTATING, app);
    clockOffsetMs = 3300 * 1000;
    slack.oauth.advance(3300);
    const installations = app.deps.oauth?.installations;
    const clients = installedWorkspaceClients(installations ?? { forTeam: async () => undefined }, {
      slackApiUrl: slack.apiUrl,
    });
    const client = await clients.forTeam('TALPHA');
    expect(slack.oauth.refreshes).toBe(1);
    expect(client?.token).toBe(slack.oauth.tokensOf('TALPHA')[1]);
  });
});

describe('an installation planted in Redis in plain text', () => {
  it('is refused and logged, never used: no Slack call carries its token', async () => {
    const app = await startApp();
    const planted = 'xoxb-TPLANT-planted-token';
    await redis.client.set(
      installationKey('TPLANT'),
      JSON.stringify(workspaceInstallation({ teamId: 'TPLANT', token: planted })),
    );
    const mallory: Actor = { teamId: 'TPLANT', userId: 'UPLANT', channelId: 'CPLANT' };

    const command = slashCommandBody('setup', mallory, slack.responseUrl());
    expect((await signedPost(app, command, 'application/x-www-form-urlencoded')).status).toBe(200);
    await waitUntil(
      () =>
        app.logs.some((line) => line.includes('not sealed')) ||
        slack.calls.some((call) => call.token === planted),
      'the refusal in the log, or a call with the planted token',
    );

    expect(slack.calls.filter((call) => call.token === planted)).toEqual([]);
    await expect(app.deps.oauth?.installations.forTeam('TPLANT')).rejects.toThrow('plain text');
    expect(slack.calls.filter((call) => call.token === planted)).toEqual([]);
    expect(app.logs.join('\n')).not.toContain(planted);
  });
});

describe('while Redis is down', () => {
  it('tells the person instead of ignoring them, and serves again once Redis is back', async () => {
    const proxy = await startRedisProxy();
    const client = createRedisClient(proxy.url, { keyPrefix: redis.prefix, commandTimeoutMs: 300 });
    try {
      await waitForRedis(client, 5000);
      const app = await startApp({ client });
      await install(ALPHA, app);
      await proxy.stop();

      const page = await fetch(`${app.base}/slack/install`);
      expect(page.status).toBe(503);
      expect(await page.text()).toContain('cannot reach its storage');

      slack.reset();
      const command = slashCommandBody('list', alice, slack.responseUrl());
      const answered = await signedPost(app, command, 'application/x-www-form-urlencoded');
      expect(answered.status).toBe(200);
      expect(await answered.json()).toEqual({
        response_type: 'ephemeral',
        text: INSTALLATION_UNREADABLE,
      });
      expect(app.logs.join('\n')).not.toContain('the app is not installed');

      await proxy.start();
      await waitForRedis(client, 5000);
      expect(await list(app, alice)).toContain('No S3 destinations');
    } finally {
      while (running.length > 0) await running.pop()?.stop();
      client.disconnect();
      await proxy.close();
    }
  });
});
