import { randomBytes } from 'node:crypto';
import { createLogger } from '../../src/log/logger';
import {
  Installations,
  type AnyInstallation,
  type RefreshedToken,
  type TokenCheck,
} from '../../src/slack/oauth/installations';
import { installationKey, RedisLockStore, uninstalledKey } from '../../src/store';
import { RedisInstallationStorage } from '../../src/store/installations';
import { Keyring } from '../../src/store/secrets';
import { workspaceInstallation } from '../support/installation';
import { useTestRedis } from '../support/redis';

const keyring = Keyring.fromKeys(randomBytes(32).toString('base64'));
const NOW_SECONDS = 1_800_000_000;

const redis = useTestRedis();
const logs: string[] = [];

afterEach(() => {
  logs.length = 0;
});

/** A workspace's installation whose rotating bot token expires `expiresIn` seconds from now. */
function installation(teamId: string, token: string, expiresIn?: number): AnyInstallation {
  return workspaceInstallation({
    teamId,
    token,
    ...(expiresIn !== undefined
      ? { rotation: { refreshToken: `refresh-${token}`, expiresAt: NOW_SECONDS + expiresIn } }
      : {}),
  });
}

/** Waits until the refresher has been called `count` times (it then holds the refresh lock). */
async function refreshing(calls: readonly string[], count = 1): Promise<void> {
  const until = Date.now() + 10_000;
  while (calls.length < count) {
    if (Date.now() > until) throw new Error('the refresh never began');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A refresher Slack-like in what it answers, whose answer the test releases. */
function gatedRefresher() {
  const calls: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const refresh = async (refreshToken: string): Promise<RefreshedToken> => {
    calls.push(refreshToken);
    await gate;
    return {
      accessToken: `new-${refreshToken}`,
      refreshToken: `next-${refreshToken}`,
      expiresInSeconds: 43200,
    };
  };
  return { refresh, calls, release: () => release() };
}

function installations(
  refresh: (token: string) => Promise<RefreshedToken>,
  waitForRefreshMs = 2000,
  // Forgotten without an event's time, an installation is deleted without asking Slack.
  checkToken: TokenCheck = () => Promise.reject(new Error('Slack is not asked in these tests')),
) {
  return new Installations(new RedisInstallationStorage(redis.client), keyring, {
    locks: new RedisLockStore(redis.client),
    refresh,
    checkToken,
    logger: createLogger({
      level: 'trace',
      destination: { write: (line: string) => logs.push(line) },
    }),
    now: () => new Date(NOW_SECONDS * 1000),
    waitForRefreshMs,
  });
}

describe('Installations', () => {
  it('stores an installation sealed whole and reads it back with every field', async () => {
    const store = installations(gatedRefresher().refresh);
    const saved = installation('T1', 'xoxb-secret-1');
    await store.save(saved);

    const raw = (await redis.client.get(installationKey('T1'))) ?? '';
    expect(raw.startsWith(`s3dsec:2:${keyring.currentKeyId}:`)).toBe(true);
    expect(raw).not.toContain('xoxb-secret-1');
    // Kept with when it was stored: a later uninstall event is compared with it.
    const installedAt = new Date(NOW_SECONDS * 1000).toISOString();
    expect(await store.fresh({ teamId: 'T1' })).toEqual({ ...saved, installedAt });
  });

  it('refreshes once for callers racing on two replicas, and both get the new token', async () => {
    const refresher = gatedRefresher();
    const one = installations(refresher.refresh);
    const two = installations(refresher.refresh);
    // Expired a while ago: nobody may use the old token, so the one not refreshing waits.
    await one.save(installation('T1', 'xoxb-old', -10));

    const first = one.fresh({ teamId: 'T1' });
    const second = two.fresh({ teamId: 'T1' });
    await refreshing(refresher.calls);
    // The other finds the lock taken and waits for the new token (or finds it done).
    await new Promise((resolve) => setTimeout(resolve, 100));
    refresher.release();

    const [a, b] = await Promise.all([first, second]);
    expect(refresher.calls).toEqual(['refresh-xoxb-old']);
    expect(a?.bot?.token).toBe('new-refresh-xoxb-old');
    expect(b?.bot?.token).toBe('new-refresh-xoxb-old');
    expect(a?.bot?.refreshToken).toBe('next-refresh-xoxb-old');
    expect(a?.bot?.expiresAt).toBe(NOW_SECONDS + 43200);
  });

  it('lets a token still valid serve while another replica refreshes it', async () => {
    const refresher = gatedRefresher();
    const one = installations(refresher.refresh);
    const two = installations(refresher.refresh);
    await one.save(installation('T1', 'xoxb-current', 600));

    const refreshed = one.fresh({ teamId: 'T1' });
    await refreshing(refresher.calls);
    expect((await two.fresh({ teamId: 'T1' }))?.bot?.token).toBe('xoxb-current');
    refresher.release();
    expect((await refreshed)?.bot?.token).toBe('new-refresh-xoxb-current');
    expect(refresher.calls).toHaveLength(1);
  });

  it('never brings back an installation removed while its token was being refreshed', async () => {
    const refresher = gatedRefresher();
    const store = installations(refresher.refresh);
    await store.save(installation('T1', 'xoxb-old', 60));

    const refreshed = store.fresh({ teamId: 'T1' });
    await refreshing(refresher.calls);
    expect(await store.forget({ teamId: 'T1' }, 'app_uninstalled')).toBe(true);
    refresher.release();

    expect(await refreshed).toBeUndefined();
    expect(await redis.client.exists(installationKey('T1'))).toBe(0);
  });

  it('keeps using the current token when Slack refuses the refresh, and says so', async () => {
    const store = installations(async () => {
      throw new Error('invalid_refresh_token');
    });
    await store.save(installation('T1', 'xoxb-current', 600));

    expect((await store.fresh({ teamId: 'T1' }))?.bot?.token).toBe('xoxb-current');
    expect(logs.join('\n')).toContain('Slack refused to refresh the bot token');
    expect(logs.join('\n')).not.toContain('xoxb-current');
  });

  it('gives Bolt the installation without its refresh token, so Bolt never refreshes on its own', async () => {
    const store = installations(gatedRefresher().refresh);
    await store.save(installation('T1', 'xoxb-current', 40000));

    const seen = await store.boltStore().fetchInstallation({
      teamId: 'T1',
      enterpriseId: undefined,
      isEnterpriseInstall: false,
    });
    expect(seen.bot?.token).toBe('xoxb-current');
    expect(seen.bot).not.toHaveProperty('refreshToken');
    expect(seen.bot).not.toHaveProperty('expiresAt');
  });

  it('forgets a workspace once: installation and sessions gone, the first mark kept', async () => {
    const store = installations(gatedRefresher().refresh);
    await store.save(installation('T1', 'xoxb-1'));
    await redis.client.set('s3d:{T1}:session:abc', '{}');
    await redis.client.set('s3d:{T1}:session-by:U1:lake', 'abc');
    await redis.client.set('s3d:{T2}:session:def', '{}');

    expect(await store.forget({ teamId: 'T1' }, 'tokens_revoked')).toBe(true);
    expect(await store.forget({ teamId: 'T1' }, 'app_uninstalled')).toBe(false);

    expect(await redis.keys()).toEqual(['s3d:{T2}:session:def', uninstalledKey('T1')].sort());
    expect(await store.uninstalled('T1')).toEqual({
      at: new Date(NOW_SECONDS * 1000).toISOString(),
      reason: 'tokens_revoked',
    });
    // A re-install clears the mark.
    await store.save(installation('T1', 'xoxb-2'));
    expect(await store.uninstalled('T1')).toBeUndefined();
  });

  it('asks Slack before an uninstall event within minutes of the installation deletes it: kept while its token works or Slack cannot say', async () => {
    const answers = ['works', 'unknown', 'refused'] as const;
    const asked: string[] = [];
    const store = installations(gatedRefresher().refresh, 2000, async (token) => {
      asked.push(token);
      return answers[asked.length - 1];
    });
    await store.save(installation('T1', 'xoxb-recent'));
    // A minute before the installation by the bot's clock: the clocks may disagree that much.
    const eventTime = new Date(NOW_SECONDS * 1000 - 60_000);

    expect(await store.forget({ teamId: 'T1' }, 'app_uninstalled', eventTime)).toBe(false);
    expect(await store.forget({ teamId: 'T1' }, 'app_uninstalled', eventTime)).toBe(false);
    expect(logs.join('\n')).toContain('Slack could not be asked');
    expect(await store.uninstalled('T1')).toBeUndefined();
    expect(await store.forget({ teamId: 'T1' }, 'app_uninstalled', eventTime)).toBe(true);

    expect(asked).toEqual(['xoxb-recent', 'xoxb-recent', 'xoxb-recent']);
    expect(await store.uninstalled('T1')).toMatchObject({ reason: 'app_uninstalled' });
    expect(logs.join('\n')).not.toContain('xoxb-recent');
    // Well after the installation, the event is about it: deleted without asking.
    await store.save(installation('T1', 'xoxb-older'));
    const later = new Date(NOW_SECONDS * 1000 + 3600_000);
    expect(await store.forget({ teamId: 'T1' }, 'tokens_revoked', later)).toBe(true);
    expect(asked).toHaveLength(3);
  });

  it('finds an org-wide installation from one of its workspaces once a request has pointed to it', async () => {
    const store = installations(gatedRefresher().refresh);
    const org: AnyInstallation = {
      ...installation('TIGNORED', 'xoxb-org'),
      team: undefined,
      enterprise: { id: 'E1', name: 'Org' },
      isEnterpriseInstall: true,
    };
    await store.save(org);
    expect(await redis.client.exists(installationKey('E1'))).toBe(1);
    expect(await store.forTeam('T9')).toBeUndefined();

    await store.boltStore().fetchInstallation({
      teamId: 'T9',
      enterpriseId: 'E1',
      isEnterpriseInstall: true,
    });
    expect((await store.forTeam('T9'))?.bot?.token).toBe('xoxb-org');

    // The organization uninstalls: its workspaces are marked too.
    await store.forget({ enterpriseId: 'E1', isEnterpriseInstall: true }, 'app_uninstalled');
    expect(await store.forTeam('T9')).toBeUndefined();
    expect(await store.uninstalled('T9')).toMatchObject({ reason: 'app_uninstalled' });
  });
});
