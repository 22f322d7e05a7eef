/**
 * One Slack app under load, in a process of its own so that the load generator never shares its
 * event loop: `node target.js '<TargetConfig JSON>'`, started by the benchmark with fork().
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { LevelWithSilent } from 'pino';
import type { App } from '@slack/bolt';
import { createApp, slackClientOptions, type SlackConnection } from '../src/app';
import type { Deps } from '../src/deps';
import { createLogger } from '../src/log/logger';
import type { OAuthCredentials } from '../src/slack/oauth/install';
import { startMonitor, type Monitor } from '../src/monitor/monitor';
import { createMonitorAnnouncer } from '../src/slack/monitor-announcer';
import { HomeRefresher } from '../src/slack/home/refresh';
import { createOAuthStores } from '../src/slack/oauth/oauth-stores';
import { createOAuthStorage } from '../src/store/installations';
import { installedWorkspaceClients, singleWorkspaceClients } from '../src/slack/team-clients';
import { createRedisClient, createRedisStores, waitForRedis } from '../src/store';
import { Keyring } from '../src/store/secrets';
import { RedisSessionIndex } from '../src/store/session-index';
import { TaskTracker } from '../src/tasks';
import { noMetrics } from '../src/metrics/metrics';
import { createS3ClientFactory } from '../src/verify/s3-clients';
import { S3Verifier } from '../src/verify/verifier';
import { LOCAL_S3_CREDENTIALS } from '../test/support/s3-local';
import { workspaceInstallation } from '../test/support/installation';
import { DEFAULT_ACTOR } from '../test/support/slack-payloads';
import { STAND_IN_CLIENT_ID, STAND_IN_CLIENT_SECRET } from '../test/support/slack-stand-in';
import { createBaselineApp } from './baseline-app';
import {
  BENCH_ENCRYPTION_KEY,
  BOT_ID,
  BOT_TOKEN,
  BOT_USER_ID,
  OAUTH_BOT_TOKEN,
  OAUTH_STATE_SECRET,
  SIGNING_SECRET,
  type TargetConfig,
  type TargetMessage,
  type TargetRequest,
} from './target-protocol';
import { benchAppSettings } from './bench-deps';

const S3_TIMEOUT_MS = 5000;
const SESSION_TTL_SECONDS = 86400;
/** MONITOR_INTERVAL_SECONDS's default: the monitor's rounds open hourly, as in production. */
const MONITOR_INTERVAL_SECONDS = 3600;

interface Target {
  readonly app: App;
  readonly tasks?: TaskTracker;
  close(): Promise<void>;
}

const OAUTH_CREDENTIALS: OAuthCredentials = {
  clientId: STAND_IN_CLIENT_ID,
  clientSecret: STAND_IN_CLIENT_SECRET,
  stateSecret: OAUTH_STATE_SECRET,
};

/** The load's workspace as the install flow leaves it in Redis (the stand-in's oauth.v2.access). */
function benchInstallation() {
  return workspaceInstallation({
    teamId: DEFAULT_ACTOR.teamId,
    teamName: 'Bench workspace',
    token: OAUTH_BOT_TOKEN,
    botId: BOT_ID,
    botUserId: BOT_USER_ID,
  });
}

/**
 * The real app, wired as deps.ts wires it and started as index.ts starts it (the App Home
 * refresher and the monitor on), but on the benchmark's key prefix and local S3. With `oauth`, as
 * deps.ts wires OAuth mode: a keyring (STORE_ENCRYPTION_KEY) sealing challenge names and
 * installations, installations and OAuth state in Redis, and the load's workspace installed.
 */
async function startRealApp(
  config: TargetConfig,
  connection: SlackConnection,
  oauth: boolean,
): Promise<Target> {
  const logger = createLogger({
    level: config.logLevel as LevelWithSilent,
    secrets: [
      BOT_TOKEN,
      OAUTH_BOT_TOKEN,
      SIGNING_SECRET,
      STAND_IN_CLIENT_SECRET,
      OAUTH_STATE_SECRET,
    ],
  });
  const redis = createRedisClient(config.redisUrl, {
    keyPrefix: config.keyPrefix,
    onError: (error) => logger.warn({ err: error }, 'Redis connection problem'),
  });
  await waitForRedis(redis, 5000);
  const s3 = createS3ClientFactory({
    endpoint: config.s3Endpoint,
    forcePathStyle: true,
    timeoutMs: S3_TIMEOUT_MS,
    credentials: LOCAL_S3_CREDENTIALS,
  });
  const keyring = oauth ? Keyring.fromKeys(BENCH_ENCRYPTION_KEY) : undefined;
  const stores = createRedisStores(redis, SESSION_TTL_SECONDS, keyring ? { keyring } : {});
  const oauthStores = keyring
    ? createOAuthStores({
        storage: createOAuthStorage(redis),
        keyring,
        locks: stores.locks,
        credentials: OAUTH_CREDENTIALS,
        apiUrl: config.slackApiUrl,
        logger,
      })
    : undefined;
  await oauthStores?.installations.save(benchInstallation());
  const home = new HomeRefresher();
  const deps: Deps = {
    logger,
    stores,
    sessionIndex: new RedisSessionIndex(redis, SESSION_TTL_SECONDS),
    verifier: new S3Verifier(s3, { timeoutMs: S3_TIMEOUT_MS }),
    tasks: new TaskTracker(),
    metrics: noMetrics,
    settings: benchAppSettings({
      sessionTtlSeconds: SESSION_TTL_SECONDS,
      verifyLockTtlMs: S3_TIMEOUT_MS * 4 + 10000,
      loaderApiTokens: config.loaderApiTokens,
    }),
    now: () => new Date(),
    home,
    ...(oauthStores ? { oauth: oauthStores } : {}),
  };
  const app = createApp(
    deps,
    oauth
      ? {
          oauth: OAUTH_CREDENTIALS,
          signingSecret: connection.signingSecret,
          apiUrl: connection.apiUrl,
        }
      : connection,
  );
  const clients = oauthStores
    ? installedWorkspaceClients(oauthStores.installations, slackClientOptions(config.slackApiUrl))
    : singleWorkspaceClients(app.client);
  const monitor: Monitor = startMonitor(deps, createMonitorAnnouncer(deps, clients), {
    redisUrl: config.redisUrl,
    intervalSeconds: MONITOR_INTERVAL_SECONDS,
  });
  return {
    app,
    tasks: deps.tasks,
    async close() {
      const monitorStopped = monitor.stop();
      await deps.tasks.drain(10000);
      await monitorStopped;
      home.stop();
      await redis.quit().catch(() => redis.disconnect());
      s3.destroy();
    },
  };
}

function send(message: TargetMessage): void {
  process.send?.(message);
}

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

function usage(target: Target) {
  const { user, system } = process.cpuUsage();
  const figures = {
    cpuMicros: user + system,
    running: target.tasks?.size ?? 0,
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    loopDelayMaxMs: loopDelay.max / 1e6,
  };
  loopDelay.reset();
  return figures;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as TargetConfig;
  const connection: SlackConnection = {
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    apiUrl: config.slackApiUrl,
    botId: BOT_ID,
    botUserId: BOT_USER_ID,
  };
  const target =
    config.kind === 'app' || config.kind === 'app-oauth'
      ? await startRealApp(config, connection, config.kind === 'app-oauth')
      : {
          app: createBaselineApp(connection, { setupModal: config.kind === 'bolt-setup-modal' }),
          close: async () => undefined,
        };
  const server = (await target.app.start(0)) as Server;

  process.on('message', (request: TargetRequest) => {
    const reply = (extra: { drained?: boolean } = {}) =>
      send({ type: 'reply', id: request.id, ...usage(target), ...extra });
    switch (request.op) {
      case 'usage':
        return reply();
      case 'drain':
        void (target.tasks?.drain(request.timeoutMs) ?? Promise.resolve(true)).then((drained) =>
          reply({ drained }),
        );
        return;
      case 'stop':
        void target.app
          .stop()
          .then(() => target.close())
          .finally(() => {
            reply();
            process.disconnect();
          });
        return;
    }
  });
  // The benchmark is gone: do not outlive it.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'listening', port: (server.address() as AddressInfo).port });
}

main().catch((error: unknown) => {
  send({
    type: 'failed',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  process.exitCode = 1;
  process.disconnect?.();
});
