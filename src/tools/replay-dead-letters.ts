import { config as loadDotenv } from 'dotenv';
import { connectRedis, waitForRedis } from '../store/redis-client';
import { RedisOutbox } from '../store/outbox';
import { MissingSettingError } from '../errors';

/**
 * `node dist/tools/replay-dead-letters.js [<dead-letter id>…]`: puts the dead letters (all, or
 * those named) back into the outbox, where the running bot delivers them as usual.
 */
async function main(ids: string[]): Promise<void> {
  loadDotenv({ quiet: true });
  const url = process.env.REDIS_URL;
  if (!url) throw new MissingSettingError('REDIS_URL is not set');
  const redis = connectRedis(url, { commandTimeoutMs: 5000 });
  try {
    await waitForRedis(redis, 5000);
    const replayed = await new RedisOutbox(redis).replayDeadLetters(
      ids.length > 0 ? ids : undefined,
    );
    process.stdout.write(`replayed ${replayed} dead letter(s)\n`);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(
      `replay failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
