/**
 * One replica of the monitor in a process of its own, for the sweep benchmark: the app's own
 * startMonitor with Redis stores, the S3 verifier and a Slack client, driven over IPC.
 */
import { webApi } from '@slack/bolt';
import type { Deps } from '../src/deps';
import { createLogger } from '../src/log/logger';
import { noMetrics } from '../src/metrics/metrics';
import { startMonitor } from '../src/monitor/monitor';
import { createMonitorAnnouncer } from '../src/slack/monitor-announcer';
import { createRedisClient, createRedisStores, waitForRedis } from '../src/store';
import { RedisSessionIndex } from '../src/store/session-index';
import { TaskTracker } from '../src/tasks';
import { createS3ClientFactory } from '../src/verify/s3-clients';
import { S3Verifier } from '../src/verify/verifier';
import type { Verifier } from '../src/verify/verifier-port';
import { LOCAL_S3_CREDENTIALS } from '../test/support/s3-local';
import { BOT_TOKEN } from './target-protocol';
import { benchAppSettings } from './bench-deps';

export interface ReplicaConfig {
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly queuePrefix: string;
  readonly s3Endpoint: string;
  readonly slackApiUrl: string;
  readonly concurrency: number;
}

export type ReplicaRequest = { id: number; op: 'round' | 'usage' | 'stop' };
export type ReplicaReply =
  | { type: 'ready' }
  | {
      type: 'reply';
      id: number;
      /** This process's CPU time so far, in microseconds. */
      cpuMicros: number;
      /** Its peak resident memory so far, in bytes. */
      maxRssBytes: number;
      /** Destinations this process has checked so far. */
      checks: number;
      /** The round's totals; `durationMs` from its opening to its last job's end. */
      round?: { checked: number; failures: number; alerts: number; durationMs: number };
    };

const S3_TIMEOUT_MS = 5000;

let checks = 0;

/** The verifier, counting this process's routine checks: how the round was shared. */
function countingChecks(inner: Verifier): Verifier {
  return {
    verify: (target) => inner.verify(target),
    watch: (target) => {
      checks += 1;
      return inner.watch(target);
    },
  };
}

async function main(config: ReplicaConfig): Promise<void> {
  const redis = createRedisClient(config.redisUrl, { keyPrefix: config.keyPrefix });
  await waitForRedis(redis, 5000);
  const s3 = createS3ClientFactory({
    endpoint: config.s3Endpoint,
    forcePathStyle: true,
    timeoutMs: S3_TIMEOUT_MS,
    credentials: LOCAL_S3_CREDENTIALS,
  });
  const deps: Deps = {
    logger: createLogger({ level: 'warn' }),
    stores: createRedisStores(redis, 86400),
    sessionIndex: new RedisSessionIndex(redis, 86400),
    verifier: countingChecks(new S3Verifier(s3, { timeoutMs: S3_TIMEOUT_MS })),
    tasks: new TaskTracker(),
    metrics: noMetrics,
    settings: benchAppSettings({ verifyLockTtlMs: S3_TIMEOUT_MS * 4 + 10000 }),
    now: () => new Date(),
  };
  const client = new webApi.WebClient(BOT_TOKEN, { slackApiUrl: config.slackApiUrl });
  const monitor = startMonitor(deps, createMonitorAnnouncer(deps, client), {
    redisUrl: config.redisUrl,
    intervalSeconds: 0,
    prefix: config.queuePrefix,
    concurrency: config.concurrency,
  });
  const send = (message: ReplicaReply) => process.send?.(message);
  const usage = () => {
    const cpu = process.cpuUsage();
    return {
      cpuMicros: cpu.user + cpu.system,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      checks,
    };
  };
  process.on('message', (request: ReplicaRequest) => {
    void (async () => {
      if (request.op === 'round') {
        const { checked, failures, alerts, durationMs } = await monitor.runRound();
        const round = { checked, failures, alerts, durationMs };
        send({ type: 'reply', id: request.id, ...usage(), round });
      } else if (request.op === 'usage') {
        send({ type: 'reply', id: request.id, ...usage() });
      } else {
        await monitor.stop();
        s3.destroy();
        await redis.quit().catch(() => redis.disconnect());
        send({ type: 'reply', id: request.id, ...usage() });
        process.exit(0);
      }
    })();
  });
  send({ type: 'ready' });
}

main(JSON.parse(process.argv[2] ?? '{}') as ReplicaConfig).catch((error: unknown) => {
  process.stderr.write(`monitor replica failed: ${String(error)}\n`);
  process.exit(1);
});
