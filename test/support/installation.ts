import type { AnyInstallation } from '../../src/slack/oauth/installations';
import { BOT_SCOPES } from '../../src/slack/scopes';

export interface InstallationFixture {
  readonly teamId: string;
  readonly token: string;
  readonly teamName?: string;
  readonly botId?: string;
  readonly botUserId?: string;
  /** Token rotation: the refresh token and when the bot token expires (epoch seconds). */
  readonly rotation?: { readonly refreshToken: string; readonly expiresAt: number };
}

/** A workspace's installation as Bolt's install flow stores it (oauth.v2.access, then auth.test). */
export function workspaceInstallation(fixture: InstallationFixture): AnyInstallation {
  return {
    team: { id: fixture.teamId, name: fixture.teamName ?? fixture.teamId },
    enterprise: undefined,
    isEnterpriseInstall: false,
    appId: 'A0S3DEST',
    authVersion: 'v2',
    tokenType: 'bot',
    bot: {
      token: fixture.token,
      id: fixture.botId ?? `B${fixture.teamId}`,
      userId: fixture.botUserId ?? `U${fixture.teamId}`,
      scopes: [...BOT_SCOPES],
      ...(fixture.rotation ?? {}),
    },
    user: { id: 'UINSTALLER', token: undefined, scopes: undefined },
  };
}
