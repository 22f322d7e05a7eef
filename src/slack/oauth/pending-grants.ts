import type { Logger } from '../../log/logger';
import type { LockStore } from '../../store/types';
import type { AnyInstallation } from '../../store/installations';
import { withGrant, writeGrant, type GrantedTokens, type GrantWriteIo } from './grant-write';

/** A pending write is tried again after this, doubled after each failure up to the cap. */
const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 2000;

/** The refresh lock a pending grant still holds, released once its tokens are stored. */
export interface HeldLock {
  readonly key: string;
  readonly token: string;
}

export interface PendingGrantsIo extends GrantWriteIo {
  readonly locks: LockStore;
  readonly logger: Logger;
}

interface Pending {
  readonly installation: AnyInstallation;
  readonly granted: GrantedTokens;
  readonly lock: HeldLock;
  failures: number;
  timer?: NodeJS.Timeout;
}

/**
 * Refreshed tokens that Redis could not take yet. Slack spent the old refresh token, so they are
 * the workspace's only working ones: this process keeps them in memory and uses them, and writes
 * them as soon as Redis answers (tried again after 200 ms, doubling up to 2 s), never refreshing
 * again meanwhile. It keeps the refresh lock until then, so other replicas use the token they
 * have while it lasts, then wait for the lock and read what was written. Tokens still pending
 * when the process stops are lost with it (Slack keeps the old token working until it expires).
 */
export class PendingGrants {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly io: PendingGrantsIo) {}

  /** The installation this process serves from memory while its new tokens wait for Redis. */
  kept(id: string): AnyInstallation | undefined {
    return this.pending.get(id)?.installation;
  }

  /** Keeps `granted` (over `installation`) until Redis takes it; returns what to use now. */
  hold(
    id: string,
    installation: AnyInstallation,
    granted: GrantedTokens,
    lock: HeldLock,
  ): AnyInstallation {
    this.drop(id);
    const kept = withGrant(installation, granted);
    this.pending.set(id, { installation: kept, granted, lock, failures: 0 });
    this.io.logger.error(
      { installation: id },
      'the refreshed bot token could not be stored yet: this process keeps it in memory and uses it, and stores it as soon as Redis answers',
    );
    this.tryLater(id);
    return kept;
  }

  /** Forgets what is kept for `id`: the installation was deleted or replaced meanwhile. */
  drop(id: string): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending.delete(id);
    void this.release(pending.lock);
  }

  private tryLater(id: string): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    const delay = Math.min(FIRST_RETRY_MS * 2 ** pending.failures, MAX_RETRY_MS);
    pending.timer = setTimeout(() => void this.store(id, pending), delay);
    pending.timer.unref();
  }

  private async store(id: string, pending: Pending): Promise<void> {
    // Anything else that fails (an installation that no longer opens) is tried again too: these
    // tokens are the only working ones.
    const written = await writeGrant(this.io, id, pending.granted).catch((error: unknown) => {
      this.io.logger.debug({ err: error, installation: id }, 'storing a kept bot token failed');
      return { outcome: 'unavailable' } as const;
    });
    // Dropped (or replaced) while the write ran: its own outcome stands.
    if (this.pending.get(id) !== pending) return;
    if (written.outcome === 'unavailable') {
      pending.failures += 1;
      this.tryLater(id);
      return;
    }
    this.pending.delete(id);
    await this.release(pending.lock);
    this.io.logger.info(
      { installation: id, outcome: written.outcome, failures: pending.failures },
      written.outcome === 'stored'
        ? 'stored the refreshed bot token this process kept while Redis was away'
        : 'forgot the refreshed bot token this process kept: the installation was removed or replaced meanwhile',
    );
  }

  private async release(lock: HeldLock): Promise<void> {
    await this.io.locks.release(lock.key, lock.token).catch(() => undefined);
  }
}
