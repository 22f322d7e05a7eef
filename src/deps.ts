import { webApi } from '@slack/bolt';
import type { Config } from './config';
import { createLogger, toSlackLogger, type Logger } from './log/logger';
import { createMemoryStores, connectRedis, createRedisStores, type Stores } from './store';
import { TaskTracker } from './tasks';
import { createS3ClientFactory } from './verify/s3-clients';
import { S3Verifier } from './verify/verifier';
import type { Verifier } from './verify/report';

/** What the Slack layer needs from configuration, beyond its dependencies. */
export interface AppSettings {
  readonly policyPrincipalArn: string;
  /** Empty: everyone may run setup and remove. */
  readonly adminUserIds: readonly string[];
  readonly sessionTtlSeconds: number;
  /** How long a verification lock lives if its holder dies: longer than any verification. */
  readonly verifyLockTtlMs: number;
}

/** Everything listeners and the monitor receive; built once per process by `buildDeps`. */
export interface Deps {
  readonly logger: Logger;
  readonly stores: Stores;
  readonly verifier: Verifier;
  readonly tasks: TaskTracker;
  readonly settings: AppSettings;
  readonly now: () => Date;
}

export interface OwnedDeps extends Deps {
  /** Closes what buildDeps opened (Redis, S3 clients). */
  close(): Promise<void>;
}

/** The settings the Slack layer reads, from a Config. */
export function appSettingsFrom(config: Config): AppSettings {
  return {
    policyPrincipalArn: config.POLICY_PRINCIPAL_ARN,
    adminUserIds: config.ADMIN_USER_IDS,
    sessionTtlSeconds: config.SESSION_TTL_SECONDS,
    verifyLockTtlMs: config.S3_TIMEOUT_MS * 4 + 10000,
  };
}

/** Builds the process's clients from Config: the only place that constructs them. */
export function buildDeps(config: Config, logger?: Logger): OwnedDeps {
  const log =
    logger ??
    createLogger({
      level: config.LOG_LEVEL,
      secrets: [
        config.SLACK_BOT_TOKEN,
        config.SLACK_SIGNING_SECRET,
        config.SLACK_APP_TOKEN,
        config.NGROK_AUTHTOKEN,
      ],
    });

  let stores: Stores;
  let closeStore: () => Promise<void>;
  if (config.REDIS_URL) {
    const redis = connectRedis(config.REDIS_URL, {
      onError: (error) => log.warn({ err: error }, 'Redis connection problem'),
    });
    stores = createRedisStores(redis, config.SESSION_TTL_SECONDS, {
      // A destination that no longer parses is left out of lists and sweeps, and said here.
      onCorrupt: (error) => log.error({ err: error }, 'skipped a corrupt saved destination'),
    });
    closeStore = async () => {
      await redis.quit().catch(() => redis.disconnect());
    };
  } else {
    log.warn(
      'REDIS_URL is not set: using in-memory stores. Setup sessions and saved destinations are lost on restart and cannot be shared by replicas.',
    );
    stores = createMemoryStores(config.SESSION_TTL_SECONDS);
    closeStore = async () => undefined;
  }

  const s3 = createS3ClientFactory({
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    timeoutMs: config.S3_TIMEOUT_MS,
  });

  return {
    logger: log,
    stores,
    verifier: new S3Verifier(s3, { timeoutMs: config.S3_TIMEOUT_MS }),
    tasks: new TaskTracker(),
    settings: appSettingsFrom(config),
    now: () => new Date(),
    async close() {
      await closeStore();
      s3.destroy();
    },
  };
}

/** The bot's own ids, which Bolt needs to tell its own messages from others'. */
export interface BotIdentity {
  readonly botId: string;
  readonly botUserId: string;
}

/**
 * Asks Slack who the bot token belongs to, once, before the app starts. A refused token or an
 * unreachable Slack stops start-up with a clear reason instead of failing every later request.
 */
export async function identifyBot(config: Config, logger: Logger): Promise<BotIdentity> {
  const client = new webApi.WebClient(config.SLACK_BOT_TOKEN, {
    ...(config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL } : {}),
    retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2000 },
    timeout: 5000,
    logger: toSlackLogger(logger),
  });
  let result;
  try {
    result = await client.auth.test();
  } catch (error) {
    const code = (error as { data?: { error?: string } }).data?.error;
    if (code) throw new Error(`Slack refused SLACK_BOT_TOKEN (${code}).`);
    const where = config.SLACK_API_URL ?? 'https://slack.com/api/';
    throw new Error(`Slack could not be reached at ${where} to check SLACK_BOT_TOKEN.`);
  }
  if (!result.bot_id || !result.user_id) {
    throw new Error('SLACK_BOT_TOKEN is not a bot token (xoxb-…): auth.test returned no bot id.');
  }
  return { botId: result.bot_id, botUserId: result.user_id };
}
