/**
 * One Slack app under load, in a process of its own so that the load generator never shares its
 * event loop: `node target.js '<TargetConfig JSON>'`, started by the benchmark with fork().
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { LevelWithSilent } from 'pino';
import type { App } from '@slack/bolt';
import { createApp, type SlackConnection } from '../src/app';
import type { Deps } from '../src/deps';
import { createLogger } from '../src/log/logger';
import { createRedisClient, createRedisStores, waitForRedis } from '../src/store';
import { RedisSessionIndex } from '../src/store/session-index';
import { TaskTracker } from '../src/tasks';
import { createS3ClientFactory } from '../src/verify/s3-clients';
import { S3Verifier } from '../src/verify/verifier';
import { LOCAL_S3_CREDENTIALS } from '../test/support/s3-local';
import { createBaselineApp } from './baseline-app';
import {
  BOT_ID,
  BOT_TOKEN,
  BOT_USER_ID,
  PRINCIPAL_ARN,
  SIGNING_SECRET,
  type TargetConfig,
  type TargetMessage,
  type TargetRequest,
} from './target-protocol';

const S3_TIMEOUT_MS = 5000;
const SESSION_TTL_SECONDS = 86400;

interface Target {
  readonly app: App;
  readonly tasks?: TaskTracker;
  close(): Promise<void>;
}

/** The real app, wired as deps.ts wires it, but on the benchmark's key prefix and local S3. */
async function startRealApp(config: TargetConfig, connection: SlackConnection): Promise<Target> {
  const logger = createLogger({
    level: config.logLevel as LevelWithSilent,
    secrets: [BOT_TOKEN, SIGNING_SECRET],
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
  const deps: Deps = {
    logger,
    stores: createRedisStores(redis, SESSION_TTL_SECONDS),
    sessionIndex: new RedisSessionIndex(redis, SESSION_TTL_SECONDS),
    verifier: new S3Verifier(s3, { timeoutMs: S3_TIMEOUT_MS }),
    tasks: new TaskTracker(),
    settings: {
      principals: { aws: PRINCIPAL_ARN },
      identityProven: true,
      adminUserIds: [],
      sessionTtlSeconds: SESSION_TTL_SECONDS,
      verifyLockTtlMs: S3_TIMEOUT_MS * 4 + 10000,
      loaderApiTokens: config.loaderApiTokens,
    },
    now: () => new Date(),
  };
  return {
    app: createApp(deps, connection),
    tasks: deps.tasks,
    async close() {
      await deps.tasks.drain(10000);
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
    config.kind === 'app'
      ? await startRealApp(config, connection)
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
