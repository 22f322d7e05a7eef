import type { Server } from 'node:http';
import { createApp, slackClientOptions } from './app';
import { ConfigError, loadConfig, oauthSettingsFrom, type Config } from './config';
import {
  installedWorkspaceClients,
  singleWorkspaceClients,
  type TeamClients,
} from './slack/team-clients';
import { buildDeps, createBotLogger, type OwnedDeps } from './deps';
import { identifyBot, proveAwsIdentity } from './startup-checks';
import type { Logger } from './log/logger';
import { PrometheusMetrics } from './metrics/prometheus';
import { startMetricsServer, type MetricsServer } from './metrics/server';
import { startMonitor, type Monitor } from './monitor/monitor';
import { createMonitorAnnouncer } from './slack/monitor-announcer';
import { startDelivery } from './events/delivery';

const DRAIN_BUDGET_MS = 7000;
const STORE_WAIT_MS = 5000;

/** Whether the store answers within `withinMs` (Redis connects in the background at start). */
async function storeAnswers(
  deps: { stores: { health: { ping(): Promise<boolean> } } },
  withinMs: number,
) {
  const until = Date.now() + withinMs;
  for (;;) {
    if (await deps.stores.health.ping()) return true;
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const EXIT_DEADLINE_MS = 10000;

export interface RunningBot {
  readonly logger: Logger;
  /** The HTTP port in HTTP mode; undefined in Socket Mode. */
  readonly port?: number;
  /** Stops taking requests, lets running checks finish (bounded), closes Redis. */
  stop(): Promise<void>;
}

/** Connects in Socket Mode or listens for HTTP; resolves the HTTP port (none in Socket Mode). */
async function startReceiver(
  app: ReturnType<typeof createApp>,
  config: Config,
  log: Logger,
  installable: boolean,
): Promise<number | undefined> {
  if (config.SLACK_APP_TOKEN) {
    await app.start();
    log.info({ mode: 'socket' }, 'connected to Slack in Socket Mode');
    if (installable) log.info(`install pages: http://localhost:${config.PORT}/slack/install`);
    return undefined;
  }
  const server = (await app.start(config.PORT)) as Server;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  log.info(
    { mode: 'http', port },
    `listening: Slack posts to http://localhost:${port}/slack/events`,
  );
  return port;
}

/** config → AWS identity → deps → app → start, plus the monitor. */
export async function startBot(config: Config): Promise<RunningBot> {
  const log = createBotLogger(config);
  // Before anything is opened: a bot that is not its bucket policies' principal proves nothing.
  const identityProven = await proveAwsIdentity(config, log);
  const metrics = config.METRICS_PORT === undefined ? undefined : new PrometheusMetrics();
  const deps = buildDeps(config, { logger: log, identityProven, metrics });
  const oauth = oauthSettingsFrom(config);
  // Many workspaces: each request's bot comes from its installation, not from one token.
  let identity;
  try {
    // A wrong STORE_ENCRYPTION_KEY stops the bot here, before it serves anyone.
    await deps.checkStoredKey();
    identity = oauth ? {} : await identifyBot(config, log);
  } catch (error) {
    await deps.close();
    throw error;
  }
  const app = createApp(deps, {
    ...identity,
    ...(oauth ? { oauth } : { botToken: config.SLACK_BOT_TOKEN }),
    signingSecret: config.SLACK_SIGNING_SECRET,
    appToken: config.SLACK_APP_TOKEN,
    apiUrl: config.SLACK_API_URL,
    httpPort: config.PORT,
  });
  const port = await startReceiver(app, config, log, oauth !== undefined);
  // The first sweep comes at once: give Redis a moment to connect, or it could not even start.
  if (!(await storeAnswers(deps, STORE_WAIT_MS))) {
    log.warn('the store does not answer yet: the monitor will try again shortly');
  }
  const clients = deps.oauth
    ? installedWorkspaceClients(
        deps.oauth.installations,
        slackClientOptions(config.SLACK_API_URL, deps.metrics),
      )
    : singleWorkspaceClients(app.client);
  const monitor = startMonitorIfOn(config, deps, clients);
  const metricsServer = metrics && (await serveMetrics(config, metrics, deps, monitor));
  // Events a crashed replica appended but did not relay go out now, then every 30 s.
  deps.changeFeed?.start();
  const delivery =
    deps.outbox && config.LOADER_WEBHOOK_URL && config.LOADER_WEBHOOK_SECRET.length > 0
      ? startDelivery(deps.outbox, {
          url: config.LOADER_WEBHOOK_URL,
          secrets: config.LOADER_WEBHOOK_SECRET,
          logger: log,
        })
      : undefined;

  return {
    logger: log,
    port,
    async stop() {
      log.info(
        { running: deps.tasks.size },
        'shutting down: no new requests, finishing running checks',
      );
      // Running checks finish; the rest of the round stays queued for the other replicas.
      const monitorStopped = monitor
        ?.stop()
        .catch((error: unknown) => log.warn({ err: error }, 'stopping the monitor failed'));
      await app
        .stop()
        .catch((error: unknown) => log.warn({ err: error }, 'stopping the receiver failed'));
      const drained = await deps.tasks.drain(DRAIN_BUDGET_MS);
      if (!drained) log.warn({ running: deps.tasks.size }, 'gave up waiting for running checks');
      await monitorStopped;
      await metricsServer?.close();
      // Undelivered events stay in the outbox for the next start or another replica.
      await deps.changeFeed?.stop();
      await delivery?.stop();
      await deps.close();
      log.info('stopped');
    },
  };
}

/** The monitor, unless it is off (MONITOR_INTERVAL_SECONDS=0) or has no Redis for its jobs. */
function startMonitorIfOn(
  config: Config,
  deps: OwnedDeps,
  clients: TeamClients,
): Monitor | undefined {
  if (config.MONITOR_INTERVAL_SECONDS === 0) return undefined;
  if (!config.REDIS_URL) {
    deps.logger.warn('the monitor is off: its rounds are jobs in Redis, and REDIS_URL is not set');
    return undefined;
  }
  return startMonitor(deps, createMonitorAnnouncer(deps, clients), {
    redisUrl: config.REDIS_URL,
    intervalSeconds: config.MONITOR_INTERVAL_SECONDS,
    concurrency: config.MONITOR_CONCURRENCY,
    confirmDelayMs: config.MONITOR_CONFIRM_DELAY_SECONDS * 1000,
    lockDurationMs: config.MONITOR_STALL_SECONDS * 1000,
  });
}

/** GET /metrics on METRICS_PORT, reading the monitor's queue and the outbox when scraped. */
async function serveMetrics(
  config: Config,
  metrics: PrometheusMetrics,
  deps: OwnedDeps,
  monitor: Monitor | undefined,
): Promise<MetricsServer> {
  if (monitor) metrics.watchMonitor(config.MONITOR_INTERVAL_SECONDS, () => monitor.depth());
  if (deps.outboxDepth) metrics.watchOutbox(() => deps.outboxDepth?.() ?? Promise.reject());
  const server = await startMetricsServer(
    metrics.registry,
    config.METRICS_PORT ?? 0,
    config.METRICS_HOST,
    (error) => deps.logger.warn({ err: error }, 'collecting the metrics failed'),
  );
  deps.logger.info(
    { metricsPort: server.port, metricsHost: config.METRICS_HOST },
    `metrics: GET /metrics on port ${server.port} of ${config.METRICS_HOST}`,
  );
  return server;
}

/**
 * The process around the bot: configuration problems exit 1 naming each one; SIGTERM/SIGINT stop
 * gracefully and exit 0 within 10 seconds; a stray rejection is logged, never fatal.
 */
export function runFromEnvironment(
  adjust: (config: Config) => Config = (config) => config,
  afterStart: (bot: RunningBot, config: Config) => Promise<void> = async () => undefined,
): void {
  let config: Config;
  try {
    config = adjust(loadConfig());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`s3-destination-bot: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  startBot(config).then(
    async (bot) => {
      process.on('unhandledRejection', (reason) =>
        bot.logger.error({ err: reason }, 'unhandled rejection'),
      );
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        bot.logger.info({ signal }, 'signal received');
        setTimeout(() => process.exit(1), EXIT_DEADLINE_MS).unref();
        bot.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            bot.logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      await afterStart(bot, config);
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`s3-destination-bot could not start: ${message}\n`);
      process.exit(1);
    },
  );
}

if (require.main === module) runFromEnvironment();
