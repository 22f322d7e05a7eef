import type { InstallationQuery } from '@slack/bolt';
import type { AnyInstallation } from '../../store/installations';

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

/**
 * How far the bot's clock and Slack's may disagree before an uninstall event's time (Slack's clock)
 * proves anything against an installation's `installedAt` (the bot's clock): five minutes.
 */
export const CLOCK_MARGIN_MS = 5 * 60_000;

/**
 * Where an installation stands against an uninstall event: `older` (installed more than the margin
 * before the event, or no event time given: the event is about it), `newer` (installed more than
 * the margin after: the event is a late retry about an earlier one), or `unsure` (within the margin
 * either way, or the installation does not say when it was stored: only Slack can tell).
 */
export function againstEvent(
  eventTime: Date | undefined,
  installedAt: string | undefined,
): 'older' | 'newer' | 'unsure' {
  if (eventTime === undefined) return 'older';
  const installed = installedAt === undefined ? NaN : Date.parse(installedAt);
  if (!Number.isFinite(installed)) return 'unsure';
  // Slack's event_time is in whole seconds.
  const ahead = Math.floor(installed / 1000) * 1000 - eventTime.getTime();
  if (ahead > CLOCK_MARGIN_MS) return 'newer';
  return ahead < -CLOCK_MARGIN_MS ? 'older' : 'unsure';
}
