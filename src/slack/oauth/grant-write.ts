import { StoreUnavailableError } from '../../errors';
import type { Logger } from '../../log/logger';
import { installationKey } from '../../store/keys';
import { storeCommand } from '../../store/redis-errors';
import type { RedisClient } from '../../store/redis-client';
import type { AnyInstallation, RefreshedToken } from '../../store/installation-types';

/** Writes the installation only if it is still the value read, so a refresh never revives a deleted one. */
const REPLACE_IF_UNCHANGED_SCRIPT = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('set', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** An installation as read, with the stored value, for a compare-and-set. */
export interface StoredInstallation {
  readonly installation: AnyInstallation;
  readonly raw: string;
}

export interface GrantWriteIo {
  readonly redis: RedisClient;
  readonly logger: Logger;
  read(id: string): Promise<StoredInstallation | undefined>;
  seal(id: string, installation: AnyInstallation): string;
  /** The installation with the grant's tokens in place of the spent ones. */
  apply(installation: AnyInstallation, grant: RefreshedToken): AnyInstallation;
}

// Within the refresh lock's life (15 s), counting a command timeout per attempt.
const ATTEMPTS = 6;
const FIRST_PAUSE_MS = 100;

/**
 * Stores the tokens of a grant Slack has just made. Slack spent the refresh token when it granted
 * the new one, so these tokens are the workspace's only working ones: a write that fails (the
 * value changed meanwhile, as when the key rotation re-seals it, or Redis timed out) reads again
 * and writes them again, for as long as the stored refresh token is the one just spent. It stops
 * when the installation is gone (uninstalled: never revived) or holds another refresh token (a
 * re-install, whose tokens stand). Resolves with the installation to use now.
 */
export async function writeGrant(
  io: GrantWriteIo,
  id: string,
  read: StoredInstallation,
  grant: RefreshedToken,
): Promise<AnyInstallation | undefined> {
  const spent = read.installation.bot?.refreshToken;
  const key = installationKey(id);
  let current: StoredInstallation | undefined = read;
  let lastError: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) await pause(FIRST_PAUSE_MS * 2 ** (attempt - 1));
    try {
      if (attempt > 0) current = await io.read(id);
      if (!current) return undefined;
      const stored = current.installation.bot?.refreshToken;
      if (stored === grant.refreshToken) return current.installation;
      if (stored !== spent) return current.installation;
      const updated = io.apply(current.installation, grant);
      const sealed = io.seal(id, updated);
      const { raw } = current;
      const replaced = await storeCommand(key, () =>
        io.redis.eval(REPLACE_IF_UNCHANGED_SCRIPT, 1, key, raw, sealed),
      );
      if (replaced === 1) {
        io.logger.info({ installation: id, attempt }, 'refreshed the bot token');
        return updated;
      }
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      lastError = error;
    }
  }
  io.logger.error(
    { err: lastError, installation: id },
    'the refreshed bot token could not be stored: it serves this process until it expires',
  );
  return current ? io.apply(current.installation, grant) : undefined;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
