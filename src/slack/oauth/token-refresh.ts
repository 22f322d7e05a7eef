import type { Logger } from '../../log/logger';
import type {
  AnyInstallation,
  InstallationStorage,
  RefreshedToken,
  TokenRefresher,
} from '../../store/installations';
import { tokenRefreshLockKey } from '../../store/keys';
import type { LockStore } from '../../store/types';
import { writeGrant, type GrantedTokens, type StoredInstallation } from './grant-write';
import { PendingGrants } from './pending-grants';

/** What the refresh of a rotating token works with: the storage, the lock, Slack, the installations. */
export interface TokenRefreshIo {
  readonly storage: InstallationStorage;
  readonly locks: LockStore;
  readonly logger: Logger;
  readonly refresh: TokenRefresher;
  readonly now: () => Date;
  read(id: string): Promise<StoredInstallation | undefined>;
  seal(id: string, installation: AnyInstallation): string;
}

export interface TokenRefreshOptions {
  /** Refresh a rotating token this long before it expires. */
  readonly refreshBeforeSeconds: number;
  /** How long a request waits for another replica's refresh of an expired token. */
  readonly waitForRefreshMs: number;
}

const REFRESH_LOCK_TTL_MS = 15000;
const POLL_MS = 100;

type Read = StoredInstallation;

/**
 * The refresh of rotating bot tokens, before they expire, by one replica at a time (a Redis lock
 * per installation), for requests and the monitor's posts alike.
 */
export class TokenRefresh {
  private readonly pending: PendingGrants;

  constructor(
    private readonly io: TokenRefreshIo,
    private readonly options: TokenRefreshOptions,
  ) {
    this.pending = new PendingGrants(io);
  }

  /**
   * The installation this process keeps in memory for `id` while Redis cannot take its refreshed
   * tokens: used instead of what Redis holds, and never refreshed again meanwhile.
   */
  kept(id: string): AnyInstallation | undefined {
    return this.pending.kept(id);
  }

  /** Forgets the tokens kept for `id`: the installation was deleted or replaced. */
  forget(id: string): void {
    this.pending.drop(id);
  }

  /** The installation read under `id`, its token refreshed first when it is about to expire. */
  async current(id: string, read: Read): Promise<AnyInstallation | undefined> {
    if (!this.expiring(read.installation)) return read.installation;
    return this.refreshed(id, read);
  }

  private expiring(installation: AnyInstallation): boolean {
    const { bot } = installation;
    if (!bot?.refreshToken || bot.expiresAt === undefined) return false;
    return bot.expiresAt - this.nowSeconds() <= this.options.refreshBeforeSeconds;
  }

  private expired(installation: AnyInstallation): boolean {
    const expiresAt = installation.bot?.expiresAt;
    // A minute's margin: a token about to expire is no use for a call about to be made.
    return expiresAt !== undefined && expiresAt - this.nowSeconds() <= 60;
  }

  private nowSeconds(): number {
    return Math.floor(this.io.now().getTime() / 1000);
  }

  /**
   * Refreshes under the installation's lock: Slack accepts a refresh token once, so two replicas
   * refreshing at once would leave one of them, and then everyone, with a dead token. New tokens
   * Redis cannot take are kept in memory (PendingGrants), which then holds the lock.
   */
  private async refreshed(id: string, read: Read): Promise<AnyInstallation | undefined> {
    const lockKey = tokenRefreshLockKey(id);
    const lock = await this.io.locks.acquire(lockKey, REFRESH_LOCK_TTL_MS);
    if (lock === undefined) return this.refreshedElsewhere(id, read);
    let handedOver = false;
    try {
      // Another replica may have refreshed between our read and the lock.
      const latest = await this.io.read(id);
      if (!latest || !this.expiring(latest.installation)) return latest?.installation;
      const spent = latest.installation.bot?.refreshToken;
      if (!spent) return latest.installation;
      let grant: RefreshedToken;
      try {
        grant = await this.io.refresh(spent);
      } catch (error) {
        this.io.logger.error(
          { err: error, installation: id },
          'Slack refused to refresh the bot token; using the current one while it lasts',
        );
        return latest.installation;
      }
      const granted: GrantedTokens = {
        spent,
        token: grant.accessToken,
        refreshToken: grant.refreshToken,
        expiresAt: this.nowSeconds() + grant.expiresInSeconds,
      };
      const written = await writeGrant(this.io, id, granted, latest);
      if (written.outcome !== 'unavailable') {
        if (written.outcome === 'stored') {
          this.io.logger.info(
            { installation: id, attempt: written.attempt },
            'refreshed the bot token',
          );
        }
        return written.outcome === 'gone' ? undefined : written.installation;
      }
      handedOver = true;
      return this.pending.hold(id, latest.installation, granted, { key: lockKey, token: lock });
    } finally {
      if (!handedOver) await this.io.locks.release(lockKey, lock).catch(() => undefined);
    }
  }

  /** Another replica is refreshing: a token still valid is used meanwhile, an expired one waited for. */
  private async refreshedElsewhere(id: string, read: Read): Promise<AnyInstallation | undefined> {
    if (!this.expired(read.installation)) return read.installation;
    const until = Date.now() + this.options.waitForRefreshMs;
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const latest = await this.io.read(id);
      if (!latest || latest.raw !== read.raw) return latest?.installation;
    }
    return read.installation;
  }
}
