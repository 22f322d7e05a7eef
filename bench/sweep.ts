import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRedisClient, createRedisStores, waitForRedis, type Stores } from '../src/store';
import { forEachConcurrently } from '../test/support/worker-pool';
import type { BenchEnvironment } from './environment';
import { benchDestination } from './fixtures';
import type { ReplicaConfig, ReplicaReply, ReplicaRequest } from './monitor-replica';
import { startS3StandIn } from './s3-stand-in';

/** How long the S3 stand-in takes to answer, as real S3 does. */
const S3_DELAY_MS = 20;
/** The monitor's default: checks one replica runs at once. */
const CONCURRENCY = 16;
const SEED_CONCURRENCY = 32;
/**
 * Rounds smaller than this are timed after one untimed round in the same processes: a fresh
 * process's warm-up (compiling, first connections) would otherwise be most of a small round.
 */
const WARM_UP_BELOW = 1000;
const DESTINATIONS_PER_TEAM = 10;

/** One process's share of a round. */
export interface ReplicaFigure {
  /** Destinations this process checked in the round. */
  readonly checks: number;
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
}

export interface SweepFigure {
  readonly destinations: number;
  readonly replicas: number;
  /** Wall time of the round, from its opening to its last job's end. */
  readonly seconds: number;
  readonly checked: number;
  readonly failures: number;
  /** CPU time of every replica together per destination, in ms. */
  readonly cpuMsPerDestination: number;
  readonly perReplica: readonly ReplicaFigure[];
}

export interface SweepReport {
  readonly sweeps: SweepFigure[];
  readonly s3DelayMs: number;
  readonly concurrency: number;
  readonly seedSeconds: number;
  /** Rounds smaller than this were timed after an untimed one. */
  readonly warmUpBelow: number;
}

/**
 * Seeds saved destinations up to each size in `sizes` and times one monitor round over all of
 * them with each count of replica processes in `replicaCounts`, on an S3 stand-in that answers
 * after 20 ms: wall time, CPU per destination over every replica, each replica's peak memory.
 */
export async function measureSweeps(
  env: BenchEnvironment,
  sizes: readonly number[],
  replicaCounts: readonly number[],
  progress: (line: string) => void,
  execArgv: readonly string[] = [],
): Promise<SweepReport> {
  // Keys of their own, so the round finds only what it seeded and not what the load saved.
  const keyPrefix = `${env.keyPrefix}sweep:`;
  const redis = createRedisClient(env.redisUrl, { keyPrefix });
  await waitForRedis(redis, 5000);
  const stores = createRedisStores(redis, 86400);
  const s3 = await startS3StandIn(S3_DELAY_MS);
  const sweeps: SweepFigure[] = [];
  let seeded = 0;
  let seedSeconds = 0;
  try {
    for (const size of sizes) {
      progress(`sweep: seeding ${size - seeded} more saved destinations in Redis`);
      const started = performance.now();
      await seed(stores, seeded, size, `${env.bucketTag}-d`);
      seedSeconds += (performance.now() - started) / 1000;
      seeded = size;
      for (const replicas of replicaCounts) {
        progress(`sweep: a round of ${size} destinations with ${replicas} replica process(es)`);
        const config: ReplicaConfig = {
          redisUrl: env.redisUrl,
          keyPrefix,
          queuePrefix: `${env.keyPrefix}r${replicas}-${size}:{s3d-monitor}`,
          s3Endpoint: s3.endpoint,
          slackApiUrl: env.slack.apiUrl,
          concurrency: CONCURRENCY,
        };
        sweeps.push({
          destinations: size,
          replicas,
          ...(await round(config, replicas, size, execArgv)),
        });
      }
    }
    return {
      sweeps,
      s3DelayMs: S3_DELAY_MS,
      concurrency: CONCURRENCY,
      seedSeconds,
      warmUpBelow: WARM_UP_BELOW,
    };
  } finally {
    await s3.stop();
    await redis.quit().catch(() => redis.disconnect());
  }
}

/** Saved destinations `from` to `to` (exclusive), in teams of ten, last seen passing. */
async function seed(stores: Stores, from: number, to: number, bucketPrefix: string) {
  const indexes = Array.from({ length: to - from }, (_, offset) => from + offset);
  const at = new Date().toISOString();
  await forEachConcurrently(indexes, SEED_CONCURRENCY, async (index) => {
    const teamId = `TBENCH${Math.floor(index / DESTINATIONS_PER_TEAM)}`;
    await stores.destinations.save(
      benchDestination(teamId, `${bucketPrefix}-${index}`, undefined, at),
    );
  });
}

async function round(
  config: ReplicaConfig,
  count: number,
  size: number,
  execArgv: readonly string[],
) {
  const replicas = await Promise.all(
    Array.from({ length: count }, () => startReplica(config, execArgv)),
  );
  try {
    if (size < WARM_UP_BELOW) await replicas[0].ask('round');
    const before = await Promise.all(replicas.map((replica) => replica.ask('usage')));
    const [first] = replicas;
    const done = await first.ask('round');
    // The round's own time: how often the asking replica looks for its end does not count.
    const seconds = (done.round?.durationMs ?? Number.NaN) / 1000;
    const after = await Promise.all(replicas.map((replica) => replica.ask('usage')));
    const perReplica = after.map((usage, index) => ({
      checks: usage.checks - before[index].checks,
      cpuSeconds: (usage.cpuMicros - before[index].cpuMicros) / 1e6,
      peakRssBytes: usage.maxRssBytes,
    }));
    const cpuSeconds = perReplica.reduce((sum, replica) => sum + replica.cpuSeconds, 0);
    return {
      seconds,
      checked: done.round?.checked ?? 0,
      failures: done.round?.failures ?? 0,
      cpuMsPerDestination: (cpuSeconds * 1000) / size,
      perReplica,
    };
  } finally {
    await Promise.all(replicas.map((replica) => replica.stop()));
  }
}

type Reply = ReplicaReply & { type: 'reply' };

function startReplica(config: ReplicaConfig, execArgv: readonly string[]) {
  const child: ChildProcess = fork(
    join(__dirname, 'monitor-replica.js'),
    [JSON.stringify(config)],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [...execArgv],
    },
  );
  const pending = new Map<number, (reply: Reply) => void>();
  let nextId = 0;
  const ask = (op: ReplicaRequest['op']) =>
    new Promise<Reply>((resolve, reject) => {
      if (!child.connected) return reject(new Error('the monitor replica is gone'));
      const id = ++nextId;
      pending.set(id, resolve);
      child.send({ id, op } satisfies ReplicaRequest);
    });
  return new Promise<{ ask: typeof ask; stop: () => Promise<void> }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`a monitor replica exited (${code})`)));
    child.on('message', (message: ReplicaReply) => {
      if (message.type === 'ready') {
        resolve({
          ask,
          stop: async () => {
            const exited = new Promise((done) => child.once('exit', done));
            await ask('stop').catch(() => child.kill('SIGKILL'));
            await exited;
          },
        });
      } else {
        pending.get(message.id)?.(message);
        pending.delete(message.id);
      }
    });
  });
}
