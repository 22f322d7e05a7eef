import type { Installation } from '@slack/bolt';

/**
 * A workspace's (or an organization's) installation, every field Slack returned kept, and when it
 * was stored (`installedAt`, ISO 8601; absent from installations stored before it was kept).
 */
export type AnyInstallation = Installation<'v1' | 'v2', boolean> & { installedAt?: string };

/** What seals a secret for Redis and opens it again (src/store/secrets.ts `Keyring`). */
export interface SecretSealer {
  /** Seals `plaintext` bound to `binding`, where it is stored. */
  seal(plaintext: string, binding?: string): string;
  open(value: string, binding?: string): string;
}

/** What `oauth.v2.access` answers to a refresh grant. */
export interface RefreshedToken {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresInSeconds: number;
}

export type TokenRefresher = (refreshToken: string) => Promise<RefreshedToken>;

/**
 * What Slack says of a bot token (`auth.test`): it works; it is refused (revoked, unknown to
 * Slack, or expired); or Slack could not be asked.
 */
export type TokenStatus = 'works' | 'refused' | 'unknown';

export type TokenCheck = (token: string) => Promise<TokenStatus>;

/** Who an installation serves: an organization for an org-wide install, else a workspace. */
export interface InstallationOwner {
  readonly teamId?: string;
  readonly enterpriseId?: string;
  readonly isEnterpriseInstall?: boolean;
}

/** When, and why, a workspace's installation went away; its destinations wait for a re-install. */
export interface UninstallMark {
  readonly at: string;
  readonly reason: 'app_uninstalled' | 'tokens_revoked';
}
