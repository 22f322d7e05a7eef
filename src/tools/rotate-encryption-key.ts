import { config as loadDotenv } from 'dotenv';
import { connectRedis, waitForRedis } from '../store/redis-client';
import { Keyring } from '../store/secrets';
import { checkStoredKey } from '../store/secrets-check';
import { rotateSecrets } from '../store/secrets-rotation';
import { MissingSettingError } from '../errors';

/**
 * `npm run rotate-encryption-key` (`node dist/tools/rotate-encryption-key.js`): with REDIS_URL,
 * STORE_ENCRYPTION_KEY (the new key) and STORE_ENCRYPTION_KEY_PREVIOUS (the old one), re-seals
 * every secret in Redis with the new key; with STORE_ENCRYPTION_KEY alone, seals the secrets
 * stored in plain text before encryption was turned on (the bot refuses them until then), naming
 * each. Resolves with the exit code: 0, or 1 if any failed.
 */
export async function main(
  env: NodeJS.ProcessEnv,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  const url = env.REDIS_URL?.trim();
  if (!url) throw new MissingSettingError('REDIS_URL is not set');
  const current = env.STORE_ENCRYPTION_KEY?.trim();
  if (!current) throw new MissingSettingError('STORE_ENCRYPTION_KEY (the new key) is not set');
  const keyring = Keyring.fromKeys(current, env.STORE_ENCRYPTION_KEY_PREVIOUS);
  const redis = connectRedis(url, { commandTimeoutMs: 5000 });
  try {
    await waitForRedis(redis, 5000);
    // The same refusal as the bot's start: keys that open nothing would fail every value.
    await checkStoredKey(redis, keyring);
    const report = await rotateSecrets(redis, keyring);
    for (const key of report.fromPlainText) {
      write(`sealed from plain text (stored before encryption was turned on?): ${key}`);
    }
    for (const failure of report.failures) write(`failed: ${failure.key}: ${failure.reason}`);
    write(
      `re-sealed ${report.resealed}, already current ${report.current}, failed ${report.failures.length}` +
        (report.gone > 0 ? `, gone meanwhile ${report.gone}` : '') +
        ` (key id ${keyring.currentKeyId})`,
    );
    return report.failures.length > 0 ? 1 : 0;
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

if (require.main === module) {
  loadDotenv({ quiet: true });
  main(process.env).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(
        `rotate-encryption-key failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
