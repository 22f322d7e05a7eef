import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { sessionKey, type SetupSession } from '../src/store';
import type { BenchEnvironment } from './environment';
import { seedCheckSessions } from './fixtures';
import { runLoad, type LoadResult } from './load';
import type { BenchOptions } from './options';
import {
  SCENARIOS,
  checkAndSaveBodies,
  setupCommandBodies,
  setupSubmissionBodies,
  unseededCheckAndSaveBodies,
  type Scenario,
  type ScenarioId,
} from './scenarios';
import type { TargetKind } from './target-protocol';
import type { TargetProcess } from './target-process';

/** How long the work after the last ack may take to finish before a run is called unfinished. */
const DRAIN_TIMEOUT_MS = 120_000;
/** Follow-ups that are not tracked tasks (views.open, the ephemeral) land within this. */
const SETTLE_MS = 300;
const WARMUP_CHECK_SESSIONS = 200;

export interface RunRecord {
  readonly scenario: ScenarioId;
  /** 0 for the warm-up. */
  readonly round: number;
  readonly target: TargetKind;
  readonly load: LoadResult;
  /** The target's CPU time during the load, as a share of one core. */
  readonly cpuShare: number;
  /** The target's CPU time for the run, the work after the last ack included, in milliseconds. */
  readonly cpuMillis: number;
  /** This process's (load generator and Slack stand-in) CPU time during the load, likewise. */
  readonly generatorCpuShare: number;
  /** The target's event-loop delay during the load, in milliseconds. */
  readonly loopDelayP99Ms: number;
  /** Check and Save against the app: how many of the clicked sessions ended up saved. */
  readonly checksSaved?: number;
  /** Calls that reached the stand-in during the run and its drain, by method. */
  readonly followUps: Readonly<Record<string, number>>;
  /** From the end of the load until every check had finished. */
  readonly drainMs: number;
  readonly drained: boolean;
  /** Log lines at warn or above, by message. */
  readonly problems: ReadonlyMap<string, number>;
}

export interface Targets {
  /** The app for one workspace; absent with --mode oauth. */
  readonly app?: TargetProcess;
  /** The app in OAuth mode; absent with --mode single. */
  readonly appOAuth?: TargetProcess;
  readonly baseline: TargetProcess;
  /** Only for the setup command: bare Bolt opening the app's real modal. */
  readonly boltSetupModal: TargetProcess;
}

/** Every target that runs: the apps first. */
export function allTargets(targets: Targets): TargetProcess[] {
  return [targets.app, targets.appOAuth, targets.baseline, targets.boltSetupModal].filter(
    (target): target is TargetProcess => target !== undefined,
  );
}

/**
 * The apps (one workspace and OAuth mode back to back, so that drift hits both alike, the one
 * first in odd rounds and the other in even ones, so that neither always runs first), then the
 * baseline; the command also against Bolt opening the real modal.
 */
function targetsFor(scenario: Scenario, targets: Targets, round: number): TargetProcess[] {
  const apps = [targets.app, targets.appOAuth].filter(
    (target): target is TargetProcess => target !== undefined,
  );
  if (round % 2 === 0) apps.reverse();
  const order = [...apps, targets.baseline];
  return scenario.id === 'a' ? [...order, targets.boltSetupModal] : order;
}

interface Bodies {
  readonly next: () => string | undefined;
  /** The sessions the clicks are on, when they are real ones. */
  readonly sessions?: readonly SetupSession[];
}

async function bodiesFor(
  scenario: Scenario,
  target: TargetKind,
  env: BenchEnvironment,
  count: number,
  label: string,
): Promise<Bodies> {
  switch (scenario.id) {
    case 'a':
      return { next: setupCommandBodies(env.slack) };
    case 'b':
      return { next: setupSubmissionBodies(env.slack) };
    case 'c': {
      if (target !== 'app' && target !== 'app-oauth') {
        return { next: unseededCheckAndSaveBodies(env.slack) };
      }
      const bucketPrefix = `${env.bucketTag}-${label}${target === 'app-oauth' ? 'o' : ''}`;
      // OAuth mode seals challenge names at rest: its sessions are seeded as it writes them.
      const stores = target === 'app-oauth' ? env.sealedStores : env.stores;
      const sessions = await seedCheckSessions(stores, env.s3, count, bucketPrefix);
      return { next: checkAndSaveBodies(env.slack, sessions), sessions };
    }
  }
}

/** How many of `sessions` Check and Save marked saved. */
async function countSaved(env: BenchEnvironment, sessions: readonly SetupSession[]) {
  let saved = 0;
  for (let start = 0; start < sessions.length; start += 500) {
    const keys = sessions
      .slice(start, start + 500)
      .map((session) => env.keyPrefix + sessionKey(session.teamId, session.id));
    const values = await env.admin.mget(keys);
    saved += values.filter((value) => value?.includes('"savedAt"')).length;
  }
  return saved;
}

async function timedRun(
  scenario: Scenario,
  round: number,
  target: TargetProcess,
  env: BenchEnvironment,
  options: BenchOptions,
  seconds: number,
): Promise<RunRecord> {
  const sessions = round === 0 ? WARMUP_CHECK_SESSIONS : options.checkSessions;
  const bodies = await bodiesFor(scenario, target.kind, env, sessions, `r${round}`);
  target.takeProblems();
  const before = scenario.followUps.map((method) => env.slack.count(method));
  const cpuBefore = await target.usage();
  const generatorBefore = process.cpuUsage();
  const started = performance.now();
  const load = await runLoad(target.url, bodies.next, {
    connections: options.connections,
    durationSeconds: seconds,
  });
  const loadEnded = performance.now();
  const generator = process.cpuUsage(generatorBefore);
  const cpuAfter = await target.usage();
  const { drained, cpuMicros: cpuAtEnd } = await target.drain(DRAIN_TIMEOUT_MS);
  const drainMs = performance.now() - loadEnded;
  await sleep(SETTLE_MS);
  return {
    scenario: scenario.id,
    round,
    target: target.kind,
    load,
    cpuShare: (cpuAfter.cpuMicros - cpuBefore.cpuMicros) / 1000 / (loadEnded - started),
    cpuMillis: (cpuAtEnd - cpuBefore.cpuMicros) / 1000,
    generatorCpuShare: (generator.user + generator.system) / 1000 / (loadEnded - started),
    loopDelayP99Ms: cpuAfter.loopDelayP99Ms,
    followUps: Object.fromEntries(
      scenario.followUps.map((method, index) => [method, env.slack.count(method) - before[index]]),
    ),
    drainMs,
    drained,
    problems: target.takeProblems(),
    ...(bodies.sessions ? { checksSaved: await countSaved(env, bodies.sessions) } : {}),
  };
}

/**
 * A warm-up per target and scenario, then `rounds` rounds in which each scenario runs against the
 * app and then against the baseline, so that drift on a shared machine hits both alike.
 */
export async function runRounds(
  targets: Targets,
  env: BenchEnvironment,
  options: BenchOptions,
  progress: (line: string) => void,
): Promise<RunRecord[]> {
  const scenarios = SCENARIOS.filter((scenario) => options.scenarios.includes(scenario.id));
  const records: RunRecord[] = [];
  if (options.warmup > 0) {
    progress(`warm-up: ${options.warmup} s per target and scenario`);
    for (const scenario of scenarios) {
      for (const target of targetsFor(scenario, targets, 0)) {
        await timedRun(scenario, 0, target, env, options, options.warmup);
      }
    }
  }
  for (let round = 1; round <= options.rounds; round += 1) {
    for (const scenario of scenarios) {
      for (const target of targetsFor(scenario, targets, round)) {
        const record = await timedRun(scenario, round, target, env, options, options.duration);
        progress(
          `round ${round} (${scenario.id}) ${target.kind.padEnd(16)} ` +
            `${record.load.requestsPerSecond.toFixed(0)} req/s, p99 ${record.load.p99} ms`,
        );
        records.push(record);
      }
    }
  }
  return records;
}
