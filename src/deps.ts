import { fromIni } from '@aws-sdk/credential-providers';
import { webApi } from '@slack/bolt';
import {
  PRINCIPAL_VARIABLES,
  PROFILE_VARIABLES,
  oauthSettingsFrom,
  principalsFrom,
  type Config,
} from './config';
import { createOAuthStores, type OAuthStores } from './slack/oauth/stores';
import { RedisDestinationStore, type RedisClient } from './store/redis';
import type { DestinationStore, LockStore } from './store/types';
import { PARTITIONS, type Partition } from './domain/partition';
import type { Principals } from './domain/principal';
import { OUTBOX_KEYS, RedisOutbox } from './events/outbox';
import { EventRelay } from './events/relay';
import { createLogger, toSlackLogger, type Logger } from './log/logger';
import { HomeRefresher } from './slack/home-refresh';
import { createMemoryStores, connectRedis, createRedisStores, type Stores } from './store';
import { StoredKeyCheck } from './store/key-check';
import { Keyring, type KeyringOptions } from './store/secrets';
import { MemorySessionIndex, RedisSessionIndex, type SessionIndex } from './store/session-index';
import { noMetrics, type Metrics } from './metrics/metrics';
import { TaskTracker } from './tasks';
import { createStsIdentitySource, proveIdentity, type ExpectedPrincipal } from './verify/identity';
import { createBucketAccess } from './verify/bucket-access';
import { createRoleCredentialsSource } from './verify/role-credentials';
import { createS3ClientFactory } from './verify/s3-clients';
import { S3Verifier } from './verify/verifier';
import type { Verifier } from './verify/verifier-port';

/** What the Slack layer needs from configuration, beyond its dependencies. */
export interface AppSettings {
  /** The principal written into bucket policies, per partition; only these partitions are served. */
  readonly principals: Principals;
  /**
   * False when no STS could prove at start-up that the bot's AWS identity is the principal (an
   * S3-compatible endpoint without STS_ENDPOINT): every check result must then say so.
   */
  readonly identityProven: boolean;
  /** Empty: everyone may run setup and remove. */
  readonly adminUserIds: readonly string[];
  readonly sessionTtlSeconds: number;
  /** How long a verification lock lives if its holder dies: longer than any verification. */
  readonly verifyLockTtlMs: number;
  /** How long an uninstalled workspace's saved destinations wait for a re-install; 30 days if unset. */
  readonly uninstallRetentionMs?: number;
  /** The loader API's bearer tokens; none (or unset): the API is off. */
  readonly loaderApiTokens?: readonly string[];
  /** S3_ENDPOINT is set: role ARNs of that engine's form are accepted (unset: false). */
  readonly s3Compatible?: boolean;
  /** False when no STS can assume customers' roles (S3_ENDPOINT without STS_ENDPOINT). */
  readonly stsAvailable?: boolean;
}

/** Everything listeners and the monitor receive; built once per process by `buildDeps`. */
export interface Deps {
  readonly logger: Logger;
  readonly stores: Stores;
  /** Each user's latest setup session per bucket, for `policy <bucket>`. */
  readonly sessionIndex: SessionIndex;
  readonly verifier: Verifier;
  readonly tasks: TaskTracker;
  readonly settings: AppSettings;
  readonly now: () => Date;
  /** Where changes wait for the loader's webhook; none without LOADER_WEBHOOK_URL. */
  readonly outbox?: RedisOutbox;
  /**
   * Moves the change events the store appends with each change to the outbox; told of each
   * change so its event leaves at once. None without LOADER_WEBHOOK_URL.
   */
  readonly changeFeed?: EventRelay;
  /** Many workspaces (OAuth mode): their installations and the install flow's state. */
  readonly oauth?: OAuthStores;
  /** Refreshes the App Homes people are looking at when a destination changes; none in tools. */
  readonly home?: HomeRefresher;
  /**
   * The saved destinations as the loader API reads them: their challenge names left sealed, as
   * the API never returns them; the stores' own when unset.
   */
  readonly loaderDestinations?: DestinationStore;
  /** Whether the encryption key was checked against Redis: `/healthz` answers 503 until it was. */
  readonly keyCheck?: { readonly passed: boolean };
  /** What the operator can watch (Prometheus with METRICS_PORT; nothing otherwise). */
  readonly metrics: Metrics;
}

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
  /** What `proveAwsIdentity` found at start-up. */
  readonly identityProven: boolean;
  readonly logger?: Logger;
  /** How long start-up waits for the key check; 5 s by default. */
  readonly storeCheckWaitMs?: number;
  /** How often the key check is tried again while Redis does not answer; 2 s by default. */
  readonly storeCheckRetryMs?: number;
  /** Where the app's metrics go; none collected when unset. */
  readonly metrics?: Metrics;
}

/** Builds the process's clients from Config: the only place that constructs them. */
export function buildDeps(config: Config, options: BuildDepsOptions): OwnedDeps {
  const log = options.logger ?? createBotLogger(config);

  let stores: Stores;
  let sessionIndex: SessionIndex;
  let closeStore: () => Promise<void>;
  let checkKey: () => Promise<void> = async () => undefined;
  let keyCheck: StoredKeyCheck | undefined;
  let loaderDestinations: DestinationStore | undefined;
  let outbox: RedisOutbox | undefined;
  let relay: EventRelay | undefined;
  let outboxDepth: OwnedDeps['outboxDepth'];
  let oauth: OAuthStores | undefined;
  if (config.REDIS_URL) {
    const redis = connectRedis(config.REDIS_URL, {
      onError: (error) => log.warn({ err: error }, 'Redis connection problem'),
    });
    // One keyring for every store, confirmed by the key check before it seals or opens anything.
    const keyring = keyringFrom(config, { unchecked: true });
    stores = createRedisStores(redis, config.SESSION_TTL_SECONDS, {
      keyring,
      // Each change's event is appended by the script that makes the change.
      events: config.LOADER_WEBHOOK_URL !== undefined,
      // A destination that no longer parses is left out of lists and sweeps, and said here.
      onCorrupt: (error) => log.error({ err: error }, 'skipped a corrupt saved destination'),
    });
    sessionIndex = new RedisSessionIndex(redis, config.SESSION_TTL_SECONDS);
    loaderDestinations = new RedisDestinationStore(redis, {
      leaveChallengeKeysSealed: true,
      onCorrupt: (error) => log.error({ err: error }, 'skipped a corrupt saved destination'),
    });
    if (config.LOADER_WEBHOOK_URL) {
      const deliveryOutbox = new RedisOutbox(redis);
      outbox = deliveryOutbox;
      relay = new EventRelay(redis, deliveryOutbox, log);
      outboxDepth = async () => {
        const [pending, deadLetters] = await Promise.all([
          redis.xlen(OUTBOX_KEYS.stream),
          redis.xlen(OUTBOX_KEYS.dead),
        ]);
        return { pending, deadLetters };
      };
    }
    oauth = oauthStoresFrom(config, redis, stores.locks, log, keyring);
    const check = new StoredKeyCheck(redis, keyring, log, {
      ...(options.storeCheckRetryMs !== undefined ? { retryMs: options.storeCheckRetryMs } : {}),
    });
    keyCheck = check;
    closeStore = async () => {
      check.stop();
      await redis.quit().catch(() => redis.disconnect());
    };
    checkKey = async () => {
      // Redis away at start is no reason to refuse (the bot reconnects, and the check with it);
      // a wrong key is.
      await check.start(options.storeCheckWaitMs ?? STORE_CHECK_WAIT_MS);
    };
  } else {
    log.warn(
      'REDIS_URL is not set: using in-memory stores. Setup sessions and saved destinations are lost on restart and cannot be shared by replicas.',
    );
    stores = createMemoryStores(config.SESSION_TTL_SECONDS);
    sessionIndex = new MemorySessionIndex(config.SESSION_TTL_SECONDS);
    closeStore = async () => undefined;
  }

  const home = new HomeRefresher();
  const metrics = options.metrics ?? noMetrics;
  const s3 = createS3ClientFactory({
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    timeoutMs: config.S3_TIMEOUT_MS,
    partitionCredentials: partitionCredentials(config),
    onCall: (operation, seconds) => metrics.s3Call(operation, seconds),
  });
  // Customers' roles are assumed through AWS STS, or the engine's own STS_ENDPOINT; an
  // S3-compatible engine without one has no STS, and setup refuses roles there.
  const roles = appSettingsFrom(config, options.identityProven).stsAvailable
    ? createRoleCredentialsSource({
        endpoint: config.STS_ENDPOINT,
        timeoutMs: config.S3_TIMEOUT_MS,
        credentials: partitionCredentials(config),
      })
    : undefined;

  return {
    logger: log,
    stores,
    sessionIndex,
    verifier: new S3Verifier(createBucketAccess(s3, roles), { timeoutMs: config.S3_TIMEOUT_MS }),
    tasks: new TaskTracker(),
    settings: appSettingsFrom(config, options.identityProven),
    ...(outbox ? { outbox } : {}),
    ...(relay ? { changeFeed: relay } : {}),
    ...(oauth ? { oauth } : {}),
    now: () => new Date(),
    home,
    ...(keyCheck ? { keyCheck } : {}),
    ...(loaderDestinations ? { loaderDestinations } : {}),
    metrics,
    checkStoredKey: checkKey,
    ...(outboxDepth ? { outboxDepth } : {}),
    async close() {
      home.stop();
      await closeStore();
      s3.destroy();
      roles?.destroy();
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
    redis,
    keyring,
    locks,
    credentials,
    apiUrl: config.SLACK_API_URL,
    logger,
  });
}

// Long enough for a distant region, short enough that three tries stay within seconds.
const STS_TIMEOUT_MS = 3000;

/** The named profile whose credentials check a partition's buckets, if one is set. */
function profileOf(config: Config, partition: Partition): string | undefined {
  return partition === 'aws' ? undefined : config[PROFILE_VARIABLES[partition]];
}

/** Each partition's credentials: its named profile when one is set, else the default chain. */
function partitionCredentials(
  config: Config,
): Partial<Record<Partition, ReturnType<typeof fromIni>>> {
  return Object.fromEntries(
    PARTITIONS.flatMap((partition) => {
      const profile = profileOf(config, partition);
      return profile ? [[partition, fromIni({ profile })]] : [];
    }),
  );
}

/**
 * Proves, before the bot serves anyone, that its AWS identity is the principal of every partition
 * it serves (sts:GetCallerIdentity). Resolves false when no STS can be asked (an S3-compatible
 * endpoint without STS_ENDPOINT); rejects, naming both ARNs or the cause, otherwise.
 */
export async function proveAwsIdentity(config: Config, logger: Logger): Promise<boolean> {
  const principals = principalsFrom(config);
  const expected: ExpectedPrincipal[] = PARTITIONS.flatMap((partition) => {
    const arn = principals[partition];
    if (arn === undefined) return [];
    const profile = profileOf(config, partition);
    const credentialsFrom = profile ? `the AWS profile ${profile}` : 'the default credential chain';
    return [{ partition, arn, variable: PRINCIPAL_VARIABLES[partition], credentialsFrom }];
  });
  if (config.S3_ENDPOINT !== undefined && config.STS_ENDPOINT === undefined) {
    return proveIdentity({ expected, logger });
  }
  const source = createStsIdentitySource({
    endpoint: config.STS_ENDPOINT,
    region: config.AWS_REGION,
    timeoutMs: STS_TIMEOUT_MS,
    credentials: partitionCredentials(config),
  });
  try {
    return await proveIdentity({
      expected,
      source,
      logger,
      unimplementedIsUnproven: config.S3_ENDPOINT !== undefined,
    });
  } finally {
    source.destroy();
  }
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
