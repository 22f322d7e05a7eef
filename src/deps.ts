import { oauthSettingsFrom, principalsFrom, type Config } from './config';
import type { AppSettings, Deps, OAuthStores } from './deps-types';
import { createOAuthStores } from './slack/oauth/oauth-stores';
import { createOAuthStorage } from './store/installations';
import { RedisDestinationStore } from './store/redis-destinations';
import type { RedisClient } from './store/redis-client';
import type { LockStore } from './store/types';
import { RedisOutbox, RedisTeamOutboxes } from './store/outbox';
import { EventRelay } from './events/relay';
import { createLogger, type Logger } from './log/logger';
import { partitionCredentials } from './partition-credentials';
import { HomeRefresher } from './slack/home/refresh';
import { createMemoryStores, connectRedis, createRedisStores, type Stores } from './store';
import { StoredKeyCheck } from './store/key-check';
import { Keyring, type KeyringOptions } from './store/secrets';
import { MemorySessionIndex, RedisSessionIndex, type SessionIndex } from './store/session-index';
import { noMetrics, type Metrics } from './metrics/metrics';
import { TaskTracker } from './tasks';
import { createBucketAccess } from './verify/bucket-access';
import { createRoleCredentialsSource } from './verify/role-credentials';
import { createS3ClientFactory } from './verify/s3-clients';
import { S3Verifier } from './verify/verifier';

export type { AppSettings, Deps } from './deps-types';

export interface OwnedDeps extends Deps {
  /** Closes what buildDeps opened (Redis, S3 clients). */
  close(): Promise<void>;
  /**
   * Checks the configured keys against the secrets stored in Redis: rejects (StoredKeyError) when
   * they cannot open them; resolves once the check passed, or while Redis does not answer yet,
   * with the check going on in the background.
   */
  checkStoredKey(): Promise<void>;
  /** The outbox's backlog (events waiting, dead letters), when there is an outbox. */
  outboxDepth?(): Promise<{ pending: number; deadLetters: number }>;
}

/** The settings the Slack layer reads, from a Config and what start-up proved. */
export function appSettingsFrom(config: Config, identityProven: boolean): AppSettings {
  return {
    principals: principalsFrom(config),
    identityProven,
    adminUserIds: config.ADMIN_USER_IDS,
    sessionTtlSeconds: config.SESSION_TTL_SECONDS,
    verifyLockTtlMs: config.S3_TIMEOUT_MS * 4 + 10000,
    loaderApiTokens: config.LOADER_API_TOKENS,
    uninstallRetentionMs: config.UNINSTALL_RETENTION_SECONDS * 1000,
    s3Compatible: config.S3_ENDPOINT !== undefined,
    stsAvailable: config.S3_ENDPOINT === undefined || config.STS_ENDPOINT !== undefined,
  };
}

/** The process's logger, scrubbing every secret of the configuration. */
export function createBotLogger(config: Config): Logger {
  return createLogger({
    level: config.LOG_LEVEL,
    secrets: [
      config.SLACK_BOT_TOKEN,
      config.SLACK_SIGNING_SECRET,
      config.SLACK_APP_TOKEN,
      config.SLACK_CLIENT_SECRET,
      config.SLACK_STATE_SECRET,
      config.NGROK_AUTHTOKEN,
      ...config.LOADER_API_TOKENS,
      ...config.LOADER_WEBHOOK_SECRET,
      config.STORE_ENCRYPTION_KEY,
      config.STORE_ENCRYPTION_KEY_PREVIOUS,
    ],
  });
}

/**
 * The keys sealing secrets in Redis, when STORE_ENCRYPTION_KEY is set (config has checked them);
 * `unchecked`: they seal and open nothing until checked against Redis.
 */
export function keyringFrom(config: Config, options: KeyringOptions = {}): Keyring | undefined {
  return config.STORE_ENCRYPTION_KEY
    ? Keyring.fromKeys(config.STORE_ENCRYPTION_KEY, config.STORE_ENCRYPTION_KEY_PREVIOUS, options)
    : undefined;
}

// How long start-up waits for the encryption key check before serving (it goes on after).
const STORE_CHECK_WAIT_MS = 5000;

export interface BuildDepsOptions {
  /** What `proveAwsIdentity` (startup-checks.ts) found at start-up. */
  readonly identityProven: boolean;
  readonly logger?: Logger;
  /** How long start-up waits for the key check; 5 s by default. */
  readonly storeCheckWaitMs?: number;
  /** How often the key check is tried again while Redis does not answer; 2 s by default. */
  readonly storeCheckRetryMs?: number;
  /** Where the app's metrics go; none collected when unset. */
  readonly metrics?: Metrics;
}

/** Where the process keeps its state, and what comes with Redis: the outbox, OAuth, the key check. */
interface Storage {
  readonly stores: Stores;
  readonly sessionIndex: SessionIndex;
  readonly close: () => Promise<void>;
  readonly checkKey: () => Promise<void>;
  readonly extras: Partial<
    Pick<OwnedDeps, 'keyCheck' | 'loaderDestinations' | 'outbox' | 'changeFeed' | 'oauth'>
  > &
    Pick<OwnedDeps, 'outboxDepth'>;
}

/** Redis stores shared by every replica, the outbox and relay with a webhook, OAuth's stores. */
function redisStorage(
  config: Config,
  redisUrl: string,
  options: BuildDepsOptions,
  log: Logger,
): Storage {
  const redis = connectRedis(redisUrl, {
    onError: (error) => log.warn({ err: error }, 'Redis connection problem'),
  });
  // One keyring for every store, confirmed by the key check before it seals or opens anything.
  const keyring = keyringFrom(config, { unchecked: true });
  const onCorrupt = (error: Error) =>
    log.error({ err: error }, 'skipped a corrupt saved destination');
  const stores = createRedisStores(redis, config.SESSION_TTL_SECONDS, {
    keyring,
    // Each change's event is appended by the script that makes the change.
    events: config.LOADER_WEBHOOK_URL !== undefined,
    // A destination that no longer parses is left out of lists and sweeps, and said here.
    onCorrupt,
  });
  const outbox = config.LOADER_WEBHOOK_URL ? new RedisOutbox(redis) : undefined;
  const oauth = oauthStoresFrom(config, redis, stores.locks, log, keyring);
  const check = new StoredKeyCheck(redis, keyring, log, {
    ...(options.storeCheckRetryMs !== undefined ? { retryMs: options.storeCheckRetryMs } : {}),
  });
  return {
    stores,
    sessionIndex: new RedisSessionIndex(redis, config.SESSION_TTL_SECONDS),
    async close() {
      check.stop();
      await redis.quit().catch(() => redis.disconnect());
    },
    // Redis away at start is no reason to refuse (the bot reconnects, and the check with it);
    // a wrong key is.
    checkKey: async () => {
      await check.start(options.storeCheckWaitMs ?? STORE_CHECK_WAIT_MS);
    },
    extras: {
      keyCheck: check,
      loaderDestinations: new RedisDestinationStore(redis, {
        leaveChallengeKeysSealed: true,
        onCorrupt,
      }),
      ...(outbox
        ? {
            outbox,
            changeFeed: new EventRelay(new RedisTeamOutboxes(redis), outbox, log),
            outboxDepth: () => outbox.depth(),
          }
        : {}),
      ...(oauth ? { oauth } : {}),
    },
  };
}

/** The embedded default: state lost on restart, never shared by replicas. */
function memoryStorage(config: Config, log: Logger): Storage {
  log.warn(
    'REDIS_URL is not set: using in-memory stores. Setup sessions and saved destinations are lost on restart and cannot be shared by replicas.',
  );
  return {
    stores: createMemoryStores(config.SESSION_TTL_SECONDS),
    sessionIndex: new MemorySessionIndex(config.SESSION_TTL_SECONDS),
    close: async () => undefined,
    checkKey: async () => undefined,
    extras: {},
  };
}

/** The S3 verifier: the bot's own credentials per partition, and customers' roles through STS. */
function verifierFrom(config: Config, identityProven: boolean, metrics: Metrics) {
  const s3 = createS3ClientFactory({
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    timeoutMs: config.S3_TIMEOUT_MS,
    partitionCredentials: partitionCredentials(config),
    onCall: (operation, seconds, failure) => metrics.s3Call(operation, seconds, failure),
  });
  // Customers' roles are assumed through AWS STS, or the engine's own STS_ENDPOINT; an
  // S3-compatible engine without one has no STS, and setup refuses roles there.
  const roles = appSettingsFrom(config, identityProven).stsAvailable
    ? createRoleCredentialsSource({
        endpoint: config.STS_ENDPOINT,
        timeoutMs: config.S3_TIMEOUT_MS,
        credentials: partitionCredentials(config),
      })
    : undefined;
  return {
    verifier: new S3Verifier(createBucketAccess(s3, roles), { timeoutMs: config.S3_TIMEOUT_MS }),
    destroy() {
      s3.destroy();
      roles?.destroy();
    },
  };
}

/** Builds the process's clients from Config: the only place that constructs them. */
export function buildDeps(config: Config, options: BuildDepsOptions): OwnedDeps {
  const log = options.logger ?? createBotLogger(config);
  const storage = config.REDIS_URL
    ? redisStorage(config, config.REDIS_URL, options, log)
    : memoryStorage(config, log);
  const home = new HomeRefresher();
  const metrics = options.metrics ?? noMetrics;
  const checks = verifierFrom(config, options.identityProven, metrics);
  return {
    logger: log,
    stores: storage.stores,
    sessionIndex: storage.sessionIndex,
    verifier: checks.verifier,
    tasks: new TaskTracker(),
    settings: appSettingsFrom(config, options.identityProven),
    ...storage.extras,
    now: () => new Date(),
    home,
    metrics,
    checkStoredKey: storage.checkKey,
    async close() {
      home.stop();
      await storage.close();
      checks.destroy();
    },
  };
}

function oauthStoresFrom(
  config: Config,
  redis: RedisClient,
  locks: LockStore,
  logger: Logger,
  keyring: Keyring | undefined,
): OAuthStores | undefined {
  const credentials = oauthSettingsFrom(config);
  if (!credentials || !keyring) return undefined;
  return createOAuthStores({
    storage: createOAuthStorage(redis),
    keyring,
    locks,
    credentials,
    apiUrl: config.SLACK_API_URL,
    logger,
  });
}
