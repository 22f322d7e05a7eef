import type { InstallationQuery } from '@slack/bolt';
import type { AnyInstallation } from '../../store/installation-types';

/** Stands for an installation that could not be read: whom it serves, and no token. */
export function unreadableInstallation(query: InstallationQuery<boolean>): AnyInstallation {
  return {
    team: query.teamId ? { id: query.teamId } : undefined,
    enterprise: query.enterpriseId ? { id: query.enterpriseId } : undefined,
    isEnterpriseInstall: query.isEnterpriseInstall,
    user: { id: '', token: undefined, scopes: undefined },
    authVersion: 'v2',
  } as AnyInstallation;
}

/**
 * The installation as Bolt sees it: without the refresh token, so that Bolt, which refreshes
 * without any lock, never does; this store refreshed it already when it was due.
 */
export function withoutRefreshToken(installation: AnyInstallation): AnyInstallation {
  if (!installation.bot?.refreshToken) return installation;
  const bot = { ...installation.bot };
  delete bot.refreshToken;
  delete bot.expiresAt;
  return { ...installation, bot };
}

/** Whether an event of `eventTime` (whole seconds, as Slack sends it) came before `installedAt`. */
export function olderThan(eventTime: Date, installedAt: string): boolean {
  const installed = Date.parse(installedAt);
  return Number.isFinite(installed) && eventTime.getTime() < Math.floor(installed / 1000) * 1000;
}
