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

/**
 * Where installations live, as sealed values: the installation records, which workspaces an
 * org-wide install is known to serve, and the uninstall marks. Values are stored as given (sealed
 * by the caller) and compared as stored, so a change between a read and a write is seen.
 */
export interface InstallationStorage {
  /** The value stored under the installation's id (a workspace's or an organization's). */
  read(installationId: string): Promise<string | undefined>;
  /**
   * Stores an installation; a workspace's own install (`ownTeamId`) clears its uninstall mark in
   * the same step, so no crash between the two leaves a stale mark.
   */
  write(installationId: string, sealed: string, ownTeamId?: string): Promise<void>;
  /** Replaces the value only if it is still `read`: true when replaced. */
  replaceIfUnchanged(installationId: string, read: string, sealed: string): Promise<boolean>;
  /** Deletes the value if it is still `read`: true deleted, false already gone, undefined changed. */
  deleteIfUnchanged(installationId: string, read: string): Promise<boolean | undefined>;
  /** The organization whose org-wide install serves the workspace, once a request said so. */
  enterpriseOf(teamId: string): Promise<string | undefined>;
  /** Remembers that the organization's org-wide install serves the workspace. */
  pointToEnterprise(teamId: string, enterpriseId: string): Promise<void>;
  /** The workspaces known to be served by the organization's org-wide install. */
  teamsOf(enterpriseId: string): Promise<string[]>;
  /** When the workspace's installation was removed, if it was and has not come back since. */
  uninstalled(teamId: string): Promise<UninstallMark | undefined>;
  /**
   * Marks the workspace uninstalled, replacing a mark older than `replaceBefore` (an ISO time;
   * REPLACE_ANY_MARK replaces any, KEEP_ANY_MARK none).
   */
  markUninstalled(teamId: string, mark: UninstallMark, replaceBefore: string): Promise<void>;
  /** Forgets that the workspace was uninstalled. */
  clearUninstalled(teamId: string): Promise<void>;
  /** Deletes the workspace's setup sessions (the app left it). */
  deleteSessionsOf(teamId: string): Promise<void>;
}

/** Sorts after every ISO time: an installation of unknown age replaces any mark. */
export const REPLACE_ANY_MARK = '~';
/** No installation went away (the other event of the pair came first): the mark there stays. */
export const KEEP_ANY_MARK = '';

/** Install states used already: each OAuth state completes one install. */
export interface UsedInstallStates {
  wasUsed(stateId: string): Promise<boolean>;
  /** Marks the state used for `ttlSeconds`; false when it was used already. */
  markUsed(stateId: string, ttlSeconds: number): Promise<boolean>;
}

/** The people each workspace's admins added in the App Home. */
export interface AddedAdminSets {
  /** The workspace's added admins, sorted. */
  members(teamId: string): Promise<string[]>;
  has(teamId: string, userId: string): Promise<boolean>;
  /** Makes `userIds` the workspace's added admins, in one step; answers who came and who went. */
  replace(
    teamId: string,
    userIds: readonly string[],
  ): Promise<{ added: string[]; removed: string[] }>;
}
