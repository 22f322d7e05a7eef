import { parseArgs } from 'node:util';
import type { ScenarioId } from './scenarios';

export interface BenchOptions {
  readonly rounds: number;
  /** Seconds per timed run. */
  readonly duration: number;
  readonly connections: number;
  /** Seconds of untimed load per target and scenario before the first round. */
  readonly warmup: number;
  /** Empty skips the load (and its targets): the sweep or RGW alone. */
  readonly scenarios: readonly ScenarioId[];
  /**
   * Which app the scenarios run against: one workspace (a bot token), OAuth mode (the workspace's
   * installation read from Redis on every request), or both, reported side by side.
   */
  readonly mode: BenchMode;
  /** Setup sessions seeded for each timed Check and Save run; a run ends early when they run out. */
  readonly checkSessions: number;
  /** Saved-destination counts to sweep, ascending; empty skips the sweep. */
  readonly sweepSizes: readonly number[];
  /** How many monitor processes share each round of the sweep, in turn. */
  readonly replicas: readonly number[];
  /** Saved-destination counts to walk the loader API's pages over, ascending; empty skips it. */
  readonly apiSizes: readonly number[];
  /** Change events to deliver from the outbox to a local webhook; 0 skips it. */
  readonly events: number;
  /** Runs of the Workflow Builder step and of verify, timed side by side; 0 skips them. */
  readonly stepRuns: number;
  /** Check and Save clicks sent at once, each size in turn (1: one at a time); empty skips it. */
  readonly clickBursts: readonly number[];
  /** Sizes in KB of the hostile answers the listing's XML read is timed on; empty skips it. */
  readonly xmlSizes: readonly number[];
  /** Write a CPU profile of each target process into this directory. */
  readonly cpuProfDir?: string;
  /** Time a Ceph RGW cluster's start and stop (needs radosgw, ceph-mon and ceph-osd installed). */
  readonly rgw: boolean;
  readonly redisUrl: string;
}

export type BenchMode = 'single' | 'oauth' | 'both';

const USAGE = `npm run bench -- [--rounds N] [--duration S] [--connections N] [--warmup S]
  [--scenarios a,b,c | --scenarios none] [--mode single|oauth|both] [--check-sessions N] [--sweep 10000 | --sweep none] [--replicas 1,2]
  [--api 10000 | --api none] [--events 5000 | --events none] [--step 100 | --step none]
  [--clicks 1,50 | --clicks none] [--xml 64,128,256 | --xml none]
  [--cpu-prof DIR] [--rgw]
--mode: the app for one workspace (bot token), in OAuth mode (installation in Redis, read and
opened on every request), or both (default), OAuth figures beside the others (target: within 10%);
--api: destinations the loader API's pages are walked over (pages of 100, p99 target at 10000);
--sweep: saved destinations a monitor round checks (100000 for docs/PERFORMANCE.md), on an S3
stand-in answering after 20 ms, once with each count of monitor processes in --replicas;
--events: change events delivered from the Redis outbox to a local webhook (events/s, latency
with a healthy receiver and with one hanging on another destination); a bare --events is 5000;
--step: runs of the Workflow Builder step and of verify, timed side by side on an S3 stand-in
answering after 20 ms (target: the step adds at most 10 ms at the p99);
--clicks: Check and Save clicked this many at once, each size in turn, timed from the click to
the team-visible post on an S3 stand-in answering after 20 ms (targets: p99 ≤ 1.5× the floor of
four round trips alone, ≤ 3× in a burst);
--xml: the one-key listing's XML read of hostile answers of these sizes in KB (its bound is 256).
Each flag also reads BENCH_<NAME> from the environment (BENCH_ROUNDS=5, BENCH_SWEEP=none,
BENCH_API=none, BENCH_EVENTS=1000, BENCH_RGW=1, …).`;

function whole(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`--${name} must be a whole number ≥ ${min}, not "${raw}"\n${USAGE}`);
  }
  return value;
}

function list(raw: string): string[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

/** `1000,10000` as whole numbers ≥ 1, ascending; `none` as none. */
function sizes(name: string, raw: string): number[] {
  if (raw === 'none') return [];
  return list(raw)
    .map((size) => whole(name, size, 0, 1))
    .sort((x, y) => x - y);
}

/** Flags override BENCH_* variables, which override the defaults (a run of about four minutes). */
export function readOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  // A bare `--events` asks for the events at their default count.
  const args = argv.flatMap((arg, index) =>
    arg === '--events' && (argv[index + 1] ?? '--').startsWith('--') ? [arg, '5000'] : [arg],
  );
  const { values } = parseArgs({
    args,
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      scenarios: { type: 'string' },
      mode: { type: 'string' },
      'check-sessions': { type: 'string' },
      sweep: { type: 'string' },
      replicas: { type: 'string' },
      api: { type: 'string' },
      events: { type: 'string' },
      step: { type: 'string' },
      clicks: { type: 'string' },
      xml: { type: 'string' },
      'cpu-prof': { type: 'string' },
      rgw: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const pick = (flag: string | undefined, variable: string) => flag ?? env[variable];
  const scenarioList = pick(values.scenarios, 'BENCH_SCENARIOS') ?? 'a,b,c';
  const scenarios = scenarioList === 'none' ? [] : list(scenarioList);
  if (
    (scenarioList !== 'none' && scenarios.length === 0) ||
    scenarios.some((id) => !['a', 'b', 'c'].includes(id))
  ) {
    throw new Error(`--scenarios takes a, b and c, comma-separated, or none\n${USAGE}`);
  }
  const mode = pick(values.mode, 'BENCH_MODE') ?? 'both';
  if (!['single', 'oauth', 'both'].includes(mode)) {
    throw new Error(`--mode takes single, oauth or both, not "${mode}"\n${USAGE}`);
  }
  const events = pick(values.events, 'BENCH_EVENTS');
  const step = pick(values.step, 'BENCH_STEP');
  return {
    rounds: whole('rounds', pick(values.rounds, 'BENCH_ROUNDS'), 3, 1),
    duration: whole('duration', pick(values.duration, 'BENCH_DURATION'), 5, 1),
    connections: whole('connections', pick(values.connections, 'BENCH_CONNECTIONS'), 50, 1),
    warmup: whole('warmup', pick(values.warmup, 'BENCH_WARMUP'), 1, 0),
    scenarios: scenarios as ScenarioId[],
    mode: mode as BenchMode,
    checkSessions: whole(
      'check-sessions',
      pick(values['check-sessions'], 'BENCH_CHECK_SESSIONS'),
      5000,
      1,
    ),
    sweepSizes: sizes('sweep', pick(values.sweep, 'BENCH_SWEEP') ?? '10000'),
    replicas: sizes('replicas', pick(values.replicas, 'BENCH_REPLICAS') ?? '1,2'),
    apiSizes: sizes('api', pick(values.api, 'BENCH_API') ?? '10000'),
    events: events === 'none' ? 0 : whole('events', events, 5000, 1),
    stepRuns: step === 'none' ? 0 : whole('step', step, 100, 1),
    clickBursts: sizes('clicks', pick(values.clicks, 'BENCH_CLICKS') ?? '1,50'),
    xmlSizes: sizes('xml', pick(values.xml, 'BENCH_XML') ?? '64,128,256'),
    cpuProfDir: pick(values['cpu-prof'], 'BENCH_CPU_PROF') || undefined,
    // Only "true" and "1" turn it on from the environment.
    rgw: values.rgw ?? ['true', '1'].includes(env.BENCH_RGW ?? ''),
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}
