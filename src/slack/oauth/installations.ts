import type { InstallationQuery, InstallationStore } from '@slack/bolt';
import type { InstallationRecords } from '../../deps-types';
import {
  IncompleteAnswerError,
  InstallationNotFoundError,
  SealedValueError,
  StoreUnavailableError,
} from '../../errors';
import type { Logger } from '../../log/logger';
import type { LockStore } from '../../store/types';
import type { StoredInstallation } from './grant-write';
import { TokenRefresh } from './token-refresh';
import { againstEvent, unreadableInstallation, withoutRefreshToken } from './installation-views';
import {
  KEEP_ANY_MARK,
  REPLACE_ANY_MARK,
  type AnyInstallation,
  type InstallationOwner,
  type InstallationStorage,
  type SecretSealer,
  type TokenCheck,
  type TokenRefresher,
  type UninstallMark,
} from '../../store/installations';
import { installationKey } from '../../store/keys';

/** Why an installation stayed despite an uninstall event. */
type KeptBecause = 'late' | 'working' | 'unasked';

export type {
  AnyInstallation,
  InstallationOwner,
  RefreshedToken,
  SecretSealer,
  TokenCheck,
  TokenRefresher,
  UninstallMark,
} from '../../store/installations';

export interface InstallationsOptions {
  readonly locks: LockStore;
  readonly refresh: TokenRefresher;
  /** Slack's word on a token (`auth.test`), before an uninstall event deletes a recent installation. */
  readonly checkToken: TokenCheck;
  readonly logger: Logger;
  readonly now: () => Date;
  /** Refresh a rotating token this long before it expires; default 2 hours, as Bolt does. */
  readonly refreshBeforeSeconds?: number;
  /** How long a request waits for another replica's refresh of an expired token; default 5 s. */
  readonly waitForRefreshMs?: number;
}

/** Id of the key an installation is stored under: the organization's or the workspace's. */
export function installationIdOf(owner: InstallationOwner): string | undefined {
  return owner.isEnterpriseInstall ? owner.enterpriseId : owner.teamId;
}

type Read = StoredInstallation;

/**
 * The workspaces' installations, sealed whole before they reach the storage (so Redis holds no
 * token in plain text) and opened only for the team they serve. A rotating bot token is refreshed
 * here before it expires, by one replica at a time, for requests (through Bolt's installation
 * store) and for the monitor's posts alike.
 */
export class Installations implements InstallationRecords {
  private readonly tokens: TokenRefresh;
  /** Workspaces of org-wide installs whose pointer to their organization is known written. */
  private readonly pointed = new Set<string>();

  constructor(
    private readonly storage: InstallationStorage,
    private readonly sealer: SecretSealer,
    private readonly options: InstallationsOptions,
  ) {
    this.tokens = new TokenRefresh(
      {
        storage,
        locks: options.locks,
        logger: options.logger,
        refresh: options.refresh,
        now: options.now,
        read: (id) => this.read(id),
        seal: (id, installation) => this.seal(id, installation),
      },
      {
        refreshBeforeSeconds: options.refreshBeforeSeconds ?? 7200,
        waitForRefreshMs: options.waitForRefreshMs ?? 5000,
      },
    );
  }

  /**
   * Stores an installation (a new install or a re-install), with when, and clears the uninstall
   * marks of the workspaces it serves: a workspace's own in the same step, an organization's
   * workspaces (those known to be served by it) after it.
   */
  async save(installation: AnyInstallation): Promise<void> {
    const id = installationIdOf({
      teamId: installation.team?.id,
      enterpriseId: installation.enterprise?.id,
      isEnterpriseInstall: installation.isEnterpriseInstall,
    });
    if (id === undefined)
      throw new IncompleteAnswerError('Slack returned an installation without a team id');
    const stored: AnyInstallation = {
      ...installation,
      installedAt: this.options.now().toISOString(),
    };
    const sealed = this.seal(id, stored);
    const orgWide = installation.isEnterpriseInstall === true;
    await this.storage.write(id, sealed, orgWide ? undefined : installation.team?.id);
    // A re-install's tokens stand: refreshed ones kept from the earlier installation do not.
    this.tokens.forget(id);
    if (orgWide) {
      const teams = new Set(await this.storage.teamsOf(id));
      if (installation.team?.id) teams.add(installation.team.id);
      for (const teamId of teams) await this.storage.clearUninstalled(teamId);
    }
  }

  /** The installation serving `owner`, its token refreshed first when it is about to expire. */
  async fresh(owner: InstallationOwner): Promise<AnyInstallation | undefined> {
    const id = installationIdOf(owner);
    if (id === undefined) return undefined;
    const kept = this.tokens.kept(id);
    if (kept) return kept;
    const read = await this.read(id);
    return read ? this.tokens.current(id, read) : undefined;
  }

  /**
   * The installation serving a workspace, for work without a request (the monitor): the
   * workspace's own, or its organization's for an org-wide install.
   */
  async forTeam(teamId: string): Promise<AnyInstallation | undefined> {
    const own = await this.fresh({ teamId });
    if (own) return own;
    const enterpriseId = await this.storage.enterpriseOf(teamId);
    return enterpriseId ? this.fresh({ enterpriseId, isEnterpriseInstall: true }) : undefined;
  }

  /** When the workspace's installation was removed, if it was and has not come back since. */
  uninstalled(teamId: string): Promise<UninstallMark | undefined> {
    return this.storage.uninstalled(teamId);
  }

  /** Forgets that the workspace was uninstalled (its destinations were purged). */
  clearUninstalled(teamId: string): Promise<void> {
    return this.storage.clearUninstalled(teamId);
  }

  /**
   * The app is gone from a workspace (or an organization): its installation and its setup
   * sessions are deleted and the time is marked; its saved destinations stay for a re-install.
   * Idempotent: `app_uninstalled` and `tokens_revoked` both come, in either order. An installation
   * the event cannot be proven to be about is kept: one stored well after `eventTime` (Slack
   * retries undelivered events for minutes, with their first time), and one stored within minutes
   * of it (the clocks may disagree) whose token Slack still accepts, or when Slack cannot be asked.
   * True when an installation was deleted.
   */
  async forget(
    owner: InstallationOwner,
    reason: UninstallMark['reason'],
    eventTime?: Date,
  ): Promise<boolean> {
    const id = installationIdOf(owner);
    if (id === undefined) return false;
    const gone = await this.deleteUnlessNewer(id, eventTime);
    if (typeof gone === 'string' && gone !== 'absent') {
      this.logKept(id, reason, eventTime, gone);
      return false;
    }
    this.tokens.forget(id);
    const teams = new Set(owner.teamId ? [owner.teamId] : []);
    if (owner.isEnterpriseInstall && owner.enterpriseId) {
      for (const team of await this.storage.teamsOf(owner.enterpriseId)) teams.add(team);
    }
    const mark: UninstallMark = { at: this.options.now().toISOString(), reason };
    // A mark older than the installation that went away is an earlier uninstall's: replaced.
    const replaceBefore =
      gone === 'absent' ? KEEP_ANY_MARK : (gone.installedAt ?? REPLACE_ANY_MARK);
    for (const teamId of teams) {
      await this.storage.deleteSessionsOf(teamId);
      await this.storage.markUninstalled(teamId, mark, replaceBefore);
    }
    return gone !== 'absent';
  }

  /**
   * Deletes the installation unless the event cannot be proven to be about it: what was deleted
   * (its installedAt), 'absent' when there was none, 'late' when it was stored well after the
   * event, 'working' when Slack still accepts its token, 'unasked' when Slack could not be asked.
   */
  private async deleteUnlessNewer(
    id: string,
    eventTime: Date | undefined,
  ): Promise<{ installedAt?: string } | 'absent' | KeptBecause> {
    // A refresh may rewrite the installation between the read and the delete: read again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const raw = await this.storage.read(id);
      if (raw === undefined) return 'absent';
      const stored = this.openedOrUndefined(id, raw);
      const kept = await this.keptAgainst(eventTime, stored);
      if (kept) return kept;
      const deleted = await this.storage.deleteIfUnchanged(id, raw);
      if (deleted === false) return 'absent';
      if (deleted === true) return stored?.installedAt ? { installedAt: stored.installedAt } : {};
    }
    throw new StoreUnavailableError(new Error(`${installationKey(id)} kept changing`));
  }

  /**
   * Why the installation must stay despite an uninstall event of `eventTime`, if it must: the
   * event's time proves it newer, or, when the clocks cannot tell, Slack still accepts its token
   * (the event is about an earlier installation) or cannot be asked. One that cannot be opened
   * has no token to ask with, and serves no one: it goes.
   */
  private async keptAgainst(
    eventTime: Date | undefined,
    stored: AnyInstallation | undefined,
  ): Promise<KeptBecause | undefined> {
    const standing = againstEvent(eventTime, stored?.installedAt);
    if (standing === 'newer') return 'late';
    const token = stored?.bot?.token;
    if (standing === 'older' || token === undefined) return undefined;
    const status = await this.options.checkToken(token);
    if (status === 'works') return 'working';
    return status === 'unknown' ? 'unasked' : undefined;
  }

  private logKept(
    id: string,
    reason: UninstallMark['reason'],
    eventTime: Date | undefined,
    because: KeptBecause,
  ): void {
    const where = { installation: id, reason, eventTime: eventTime?.toISOString() };
    if (because === 'unasked') {
      this.options.logger.warn(
        where,
        'kept the installation despite an uninstall event: Slack could not be asked whether its token still works (the other uninstall event, or a retry, will ask again)',
      );
      return;
    }
    this.options.logger.info(
      where,
      because === 'late'
        ? 'ignored an uninstall event older than the installation (a late retry)'
        : 'ignored an uninstall event about an earlier installation: Slack still accepts the installation’s token',
    );
  }

  /** The stored installation; undefined when it cannot be opened. */
  private openedOrUndefined(id: string, raw: string): AnyInstallation | undefined {
    try {
      return this.open(id, raw);
    } catch {
      return undefined;
    }
  }

  /** Bolt's view of the store: requests are authorized from it, installs saved through it. */
  boltStore(): InstallationStore {
    return {
      storeInstallation: (installation) => this.save(installation),
      fetchInstallation: async (query: InstallationQuery<boolean>) => {
        let installation: AnyInstallation | undefined;
        try {
          installation = await this.fresh(query);
        } catch (error) {
          // Refused (and logged): to Bolt, the app is not installed there; no token is used.
          if (error instanceof SealedValueError)
            throw new InstallationNotFoundError(installationIdOf(query));
          if (!(error instanceof StoreUnavailableError)) throw error;
          // Redis is away: the request goes on without a token, and the app tells the person
          // (storeUnavailableMiddleware) instead of Bolt ignoring them as not installed.
          return unreadableInstallation(query);
        }
        if (!installation) {
          throw new InstallationNotFoundError(installationIdOf(query));
        }
        if (query.isEnterpriseInstall && query.teamId && query.enterpriseId) {
          await this.pointToEnterprise(query.teamId, query.enterpriseId);
        }
        return withoutRefreshToken(installation);
      },
      deleteInstallation: async (query) => {
        await this.forget(query, 'tokens_revoked');
      },
    };
  }

  /**
   * The installation stored under `id`, as stored. One that does not open (plain text planted in
   * Redis, altered, or sealed with another key) is refused, logged without its value, and throws a
   * SealedValueError: its token is never used.
   */
  private async read(id: string): Promise<Read | undefined> {
    const raw = await this.storage.read(id);
    if (raw === undefined) return undefined;
    try {
      return { installation: this.open(id, raw), raw };
    } catch (error) {
      if (error instanceof SealedValueError) {
        this.options.logger.error(
          { installation: id, reason: error.message },
          'refused a stored installation that is not sealed as this app seals it: its token is not used',
        );
      }
      throw error;
    }
  }

  /**
   * Opens the installation stored under `id`, sealed for that key; it must serve the team (or
   * organization) it was read for, so a sealed installation copied under another key (sealed
   * before values were bound to their keys) is refused too.
   */
  private open(id: string, raw: string): AnyInstallation {
    const key = installationKey(id);
    let installation: AnyInstallation;
    try {
      installation = JSON.parse(this.sealer.open(raw, key)) as AnyInstallation;
    } catch (error) {
      throw new SealedValueError(key, error instanceof Error ? error : new Error(String(error)));
    }
    const serves = installationIdOf({
      teamId: installation.team?.id,
      enterpriseId: installation.enterprise?.id,
      isEnterpriseInstall: installation.isEnterpriseInstall,
    });
    if (serves !== id) {
      throw new SealedValueError(
        key,
        new Error(`the installation stored there serves ${serves ?? 'no team'}, not ${id}`),
      );
    }
    return installation;
  }

  private seal(id: string, installation: AnyInstallation): string {
    return this.sealer.seal(JSON.stringify(installation), installationKey(id));
  }

  private async pointToEnterprise(teamId: string, enterpriseId: string): Promise<void> {
    if (this.pointed.has(teamId)) return;
    await this.storage.pointToEnterprise(teamId, enterpriseId);
    this.pointed.add(teamId);
  }
}
