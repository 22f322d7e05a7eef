import { StoreUnavailableError } from '../../errors';
import type { AnyInstallation, InstallationStorage } from '../../store/installations';
import { installationKey } from '../../store/keys';

/** An installation as read, with the stored value, for a compare-and-set. */
export interface StoredInstallation {
  readonly installation: AnyInstallation;
  readonly raw: string;
}

/** The bot's tokens a refresh grant gave, with when the new token expires (epoch seconds). */
export interface GrantedTokens {
  /** The refresh token the grant spent: Slack refuses it from now on. */
  readonly spent: string;
  readonly token: string;
  readonly refreshToken: string;
  readonly expiresAt: number;
}

export interface GrantWriteIo {
  readonly storage: InstallationStorage;
  read(id: string): Promise<StoredInstallation | undefined>;
  seal(id: string, installation: AnyInstallation): string;
}

/**
 * What became of a grant's tokens: stored (or found stored already), superseded by another
 * installation (a re-install, whose tokens stand), the installation gone (uninstalled: never
 * revived), or Redis not answering (the caller keeps the tokens and tries again).
 */
export type GrantWrite =
  | {
      readonly outcome: 'stored';
      readonly installation: AnyInstallation;
      /** Which try wrote it: 0 unless the value changed between a read and its write. */
      readonly attempt: number;
    }
  | { readonly outcome: 'superseded'; readonly installation: AnyInstallation }
  | { readonly outcome: 'gone' }
  | { readonly outcome: 'unavailable'; readonly error: StoreUnavailableError };

/** `installation` with the granted tokens in place of the spent ones. */
export function withGrant(installation: AnyInstallation, granted: GrantedTokens): AnyInstallation {
  const { token, refreshToken, expiresAt } = granted;
  return { ...installation, bot: { ...installation.bot!, token, refreshToken, expiresAt } };
}

// A value changed between the read and the write (the key rotation re-sealed it) is read again.
const ATTEMPTS = 5;

/**
 * Stores the tokens of a grant Slack has just made, over the installation as `read` (or as read
 * now, when not given). Slack spent the refresh token when it granted the new one, so these are
 * the workspace's only working tokens: they are written only over an installation that still
 * holds the spent refresh token, by compare-and-set, read again when the value changed meanwhile.
 */
export async function writeGrant(
  io: GrantWriteIo,
  id: string,
  granted: GrantedTokens,
  read?: StoredInstallation,
): Promise<GrantWrite> {
  let current = read;
  try {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0 || current === undefined) current = await io.read(id);
      if (!current) return { outcome: 'gone' };
      const stored = current.installation.bot?.refreshToken;
      if (stored === granted.refreshToken) {
        return { outcome: 'stored', installation: current.installation, attempt };
      }
      if (stored !== granted.spent) {
        return { outcome: 'superseded', installation: current.installation };
      }
      const updated = withGrant(current.installation, granted);
      const sealed = io.seal(id, updated);
      // Only over the value read, so that a refresh never revives a deleted installation.
      if (await io.storage.replaceIfUnchanged(id, current.raw, sealed)) {
        return { outcome: 'stored', installation: updated, attempt };
      }
    }
  } catch (error) {
    if (!(error instanceof StoreUnavailableError)) throw error;
    return { outcome: 'unavailable', error };
  }
  return {
    outcome: 'unavailable',
    error: new StoreUnavailableError(new Error(`${installationKey(id)} kept changing`)),
  };
}
