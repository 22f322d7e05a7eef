import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { webApi } from '@slack/bolt';
import type { Deps } from '../src/deps';
import { createLogger } from '../src/log/logger';
import { startMonitor, type Monitor } from '../src/monitor/monitor';
import { forEachConcurrently } from '../test/support/worker-pool';
import {
  MONITOR_LOCK_KEY,
  createRedisClient,
  createRedisStores,
  waitForRedis,
  type SavedDestination,
  type Stores,
} from '../src/store';
import { RedisSessionIndex } from '../src/store/session-index';
import { TaskTracker } from '../src/tasks';
import { noMetrics } from '../src/metrics/metrics';
import { createS3ClientFactory } from '../src/verify/s3-clients';
import { assembleReport, checkResult, CHECK_NAMES, type Verifier } from '../src/verify/report';
import { S3Verifier } from '../src/verify/verifier';
import { LOCAL_S3_CREDENTIALS } from '../test/support/s3-local';
import type { BenchEnvironment } from './environment';
import { seedDestinations } from './fixtures';
import { callsSince, countS3Calls } from './s3-calls';
import { BOT_TOKEN, PRINCIPAL_ARN } from './target-protocol';

const S3_TIMEOUT_MS = 5000;
/** The monitor's default: how many destinations one sweep checks at once. */
const SWEEP_CONCURRENCY = 8;
/** Destinations the verifier checks on its own, without the monitor, Redis or Slack. */
const VERIFIER_SAMPLE = 500;

export interface SweepFigure {
  readonly destinations: number;
  readonly seconds: number;
  readonly checked: number;
  readonly failures: number;
  readonly alerts: number;
  /** CPU time of this process (monitor, verifier, SDK) as a share of one core. */
  readonly monitorCpuShare: number;
  /** CPU time of the s3rver process as a share of one core; undefined where /proc is missing. */
  readonly s3CpuShare?: number;
  /** CPU time of this process (monitor, verifier, SDK, Redis client) per destination, in ms. */
  readonly monitorCpuMsPerDestination: number;
  /** S3 calls the sweep sent, by command. */
  readonly s3Calls: ReadonlyMap<string, number>;
}

export interface SweepReport {
  readonly sweeps: SweepFigure[];
  /** The monitor's routine check alone (`watch`, no region) against the same server: destinations per second. */
  readonly verifierPerSecond: number;
  /** CPU time of this process per destination, in milliseconds, for the routine check alone. */
  readonly verifierCpuMsPerDestination: number;
  readonly verifierS3CpuShare?: number;
  readonly verifierDestinations: number;
  /** S3 calls the routine check alone sent, by command. */
  readonly verifierS3Calls: ReadonlyMap<string, number>;
  /** The monitor's own CPU per destination (store reads and writes), with a verifier that answers at once. */
  readonly bookkeepingCpuMsPerDestination: number;
  readonly seedSeconds: number;
}

/** Every check passed, at once: what the sweep costs without S3. */
const instantPass = async () =>
  assembleReport(
    CHECK_NAMES.map((check) => checkResult(check, 'ok', 'ok')),
    { regionChecked: false },
  );
const INSTANT_PASS: Verifier = { verify: instantPass, watch: instantPass };

/** CPU seconds a child process of this one, found by its command line, has used (Linux /proc). */
function childCpuSeconds(commandPart: string): number | undefined {
  try {
    // USER_HZ: /proc counts CPU time in ticks of 1/100 s on Linux.
    const ticksPerSecond = 100;
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      let stat: string;
      let command: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      // The fields after the command name, which is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid || !command.includes(commandPart)) continue;
      return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Runs `work`, returning its wall time, this process's CPU time, and the CPU shares of both. */
async function timed<T>(work: () => Promise<T>) {
  const s3Before = childCpuSeconds('s3rver-child');
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const value = await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const s3After = childCpuSeconds('s3rver-child');
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    value,
    seconds,
    cpuSeconds,
    cpuShare: cpuSeconds / seconds,
    s3CpuShare:
      s3Before === undefined || s3After === undefined ? undefined : (s3After - s3Before) / seconds,
  };
}

/**
 * Seeds saved destinations up to each size in `sizes` and times one sweep of all of them, with
 * the monitor's own sweepOnce and default concurrency, against the local S3 server, after one
 * untimed sweep of the first size; then the routine check alone, and the monitor alone.
 */
export async function measureSweeps(
  env: BenchEnvironment,
  sizes: readonly number[],
  progress: (line: string) => void,
): Promise<SweepReport> {
  // Keys of their own, so the sweep finds only what it seeded and not what the load saved.
  const keyPrefix = `${env.keyPrefix}sweep:`;
  const redis = createRedisClient(env.redisUrl, { keyPrefix });
  await waitForRedis(redis, 5000);
  const stores = createRedisStores(redis, 86400);
  const s3 = countS3Calls(
    createS3ClientFactory({
      endpoint: env.s3.endpoint,
      forcePathStyle: true,
      timeoutMs: S3_TIMEOUT_MS,
      credentials: LOCAL_S3_CREDENTIALS,
    }),
  );
  const problems: string[] = [];
  const deps: Deps = {
    logger: createLogger({
      level: 'warn',
      destination: { write: (line: string) => problems.push(line) },
    }),
    stores,
    sessionIndex: new RedisSessionIndex(redis, 86400),
    verifier: new S3Verifier(s3.clients, { timeoutMs: S3_TIMEOUT_MS }),
    tasks: new TaskTracker(),
    metrics: noMetrics,
    settings: {
      principals: { aws: PRINCIPAL_ARN },
      identityProven: true,
      adminUserIds: [],
      sessionTtlSeconds: 86400,
      verifyLockTtlMs: S3_TIMEOUT_MS * 4 + 10000,
    },
    now: () => new Date(),
  };
  const client = new webApi.WebClient(BOT_TOKEN, { slackApiUrl: env.slack.apiUrl });
  const monitor = startMonitor(deps, client, 0);
  const bucketPrefix = `${env.bucketTag}-d`;
  const sweeps: SweepFigure[] = [];
  let seeded = 0;
  let seedSeconds = 0;
  try {
    for (const size of sizes) {
      progress(`sweep: seeding ${size - seeded} more saved destinations in local S3 and Redis`);
      const seed = await timed(() => seedDestinations(stores, env.s3, seeded, size, bucketPrefix));
      seedSeconds += seed.seconds;
      if (seeded === 0) {
        // A running monitor compiled its code and pinned its buckets' owners long ago; the first
        // sweep of a fresh process would charge both to the destinations it times.
        progress(`sweep: warming up with an untimed sweep of ${size} destinations`);
        await sweepNow(env, keyPrefix, monitor);
      }
      seeded = size;
      progress(`sweep: ${size} destinations`);
      const callsBefore = s3.snapshot();
      const sweep = await timed(() => sweepNow(env, keyPrefix, monitor));
      const s3Calls = callsSince(callsBefore, s3.snapshot());
      const result = sweep.value;
      sweeps.push({
        destinations: size,
        seconds: sweep.seconds,
        checked: result.checked,
        failures: result.failures,
        alerts: result.alerts,
        monitorCpuShare: sweep.cpuShare,
        s3CpuShare: sweep.s3CpuShare,
        monitorCpuMsPerDestination: (sweep.cpuSeconds * 1000) / size,
        s3Calls,
      });
    }
    const sample = await sampleDestinations(stores, VERIFIER_SAMPLE);
    progress(`sweep: the routine check alone (watch) on ${sample.length} destinations`);
    const verifierCallsBefore = s3.snapshot();
    // What the monitor asks of the verifier on all but one sweep a day: no region comparison.
    const verifierAlone = await timed(() =>
      forEachConcurrently(sample, SWEEP_CONCURRENCY, async (destination) => {
        await deps.verifier.watch({
          bucket: destination.settings.bucket,
          region: destination.settings.region,
          challengeKey: destination.challengeKey,
          ...(destination.ownerId === undefined ? {} : { expectedOwnerId: destination.ownerId }),
          checkRegion: false,
        });
      }),
    );
    const verifierS3Calls = callsSince(verifierCallsBefore, s3.snapshot());
    progress(
      `sweep: the monitor alone on ${seeded} destinations, with a verifier that answers at once`,
    );
    const bookkeeping = startMonitor({ ...deps, verifier: INSTANT_PASS }, client, 0);
    const bookkeepingSweep = await timed(() => sweepNow(env, keyPrefix, bookkeeping));
    await bookkeeping.done();
    if (problems.length > 0) progress(`sweep logged ${problems.length} problems: ${problems[0]}`);
    return {
      sweeps,
      verifierPerSecond: sample.length / verifierAlone.seconds,
      verifierCpuMsPerDestination: (verifierAlone.cpuSeconds * 1000) / sample.length,
      verifierS3CpuShare: verifierAlone.s3CpuShare,
      verifierDestinations: sample.length,
      verifierS3Calls,
      bookkeepingCpuMsPerDestination: (bookkeepingSweep.cpuSeconds * 1000) / seeded,
      seedSeconds,
    };
  } finally {
    monitor.stop();
    await monitor.done();
    s3.clients.destroy();
    await redis.quit().catch(() => redis.disconnect());
  }
}

/** One sweep now, although the lock of the last one has not expired yet. */
async function sweepNow(env: BenchEnvironment, keyPrefix: string, monitor: Monitor) {
  // One sweep per lock TTL; the benchmark wants another one now.
  await env.admin.del(`${keyPrefix}${MONITOR_LOCK_KEY}`);
  const result = await monitor.sweepOnce();
  if (!result) throw new Error('the sweep did not run: the monitor lock was held');
  return result;
}

async function sampleDestinations(stores: Stores, count: number) {
  const sample: SavedDestination[] = [];
  for (const teamId of await stores.destinations.teams()) {
    if (sample.length >= count) break;
    sample.push(...(await stores.destinations.list(teamId)));
  }
  return sample.slice(0, count);
}
