/**
 * `npm run bench`: the app (for one workspace and in OAuth mode) against a bare Bolt baseline under
 * signed Slack load, Redis bytes per session and destination, monitor sweep times and CPU,
 * publishing an App Home of 100 destinations, the loader API's pages, the outbox's delivery rate,
 * the Workflow Builder step beside verify, Check and Save from the click to the channel's answer
 * alone and in bursts, the listing's XML read of hostile answers, and (with
 * --rgw) the Ceph RGW start, each printed against its target. A report, not a test: it exits 0
 * whether targets are met or not, and 1 only when it could not run.
 */
import { mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { startEnvironment, type BenchEnvironment } from './environment';
import { measureFootprint, type RedisFootprint } from './footprint';
import { readOptions, type BenchOptions } from './options';
import {
  header,
  oauthVerdicts,
  scenarioSection,
  sweepLines,
  verdictLines,
  verdicts,
} from './report';
import { homeLines, homeVerdicts, measureHome, type HomeFigure } from './home';
import {
  loaderApiLines,
  loaderApiVerdicts,
  measureLoaderApi,
  type LoaderApiFigure,
} from './loader-api';
import { measureOutbox, outboxLines, outboxVerdicts, type OutboxFigure } from './outbox';
import { measureRgw, rgwLines, type RgwFigure } from './rgw';
import { measureXml, xmlLines, xmlVerdicts, type XmlFigure } from './xml';
import { allTargets, runRounds, type RunRecord, type Targets } from './rounds';
import { measureSweeps, type SweepReport } from './sweep';
import {
  checkAndSaveLines,
  checkAndSaveVerdicts,
  measureCheckAndSave,
  type CheckAndSaveFigure,
} from './check-and-save';
import { measureStep, stepLines, stepVerdicts, type StepFigure } from './workflow-step';
import type { TargetConfig, TargetKind } from './target-protocol';
import { startTarget, type TargetProcess } from './target-process';

let interruptedBySignal = false;

const loadAverage = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
const out = (line = '') => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`  … ${line}\n`);

async function machine(env: BenchEnvironment): Promise<string[]> {
  const info = await env.admin.info('server');
  const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  return [
    `machine: ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `node ${process.version}, Redis ${redisVersion} at ${env.redisUrl}, s3rver (local S3) in a child process`,
    `load average at start: ${loadAverage()} (other work on the machine skews every figure)`,
  ];
}

/** Node flags that write a CPU profile of each child process, with --cpu-prof. */
function profileArgs(options: BenchOptions): string[] {
  if (!options.cpuProfDir) return [];
  const dir = resolve(options.cpuProfDir);
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

async function startTargets(env: BenchEnvironment, options: BenchOptions): Promise<Targets> {
  const execArgv = profileArgs(options);
  const config = (kind: TargetKind): TargetConfig => ({
    kind,
    redisUrl: env.redisUrl,
    keyPrefix: env.keyPrefix,
    s3Endpoint: env.s3.endpoint,
    slackApiUrl: env.slack.apiUrl,
    logLevel: 'info',
  });
  const kinds: TargetKind[] = [
    ...(options.mode === 'oauth' ? [] : (['app'] as const)),
    ...(options.mode === 'single' ? [] : (['app-oauth'] as const)),
    'baseline',
    'bolt-setup-modal',
  ];
  const started = new Map<TargetKind, TargetProcess>();
  try {
    for (const kind of kinds) started.set(kind, await startTarget(config(kind), { execArgv }));
  } catch (error) {
    for (const target of started.values()) await target.stop();
    throw error;
  }
  const required = (kind: TargetKind) => {
    const target = started.get(kind);
    if (!target) throw new Error(`the ${kind} target did not start`);
    return target;
  };
  return {
    app: started.get('app'),
    appOAuth: started.get('app-oauth'),
    baseline: required('baseline'),
    boltSetupModal: required('bolt-setup-modal'),
  };
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2), process.env);
  // The SDK's notice that its 2027 releases need Node 22 (the header names the Node version):
  // true, but noise in this output and in every target's log, which inherit the variable.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const env = await startEnvironment(options.redisUrl);
  let targets: Targets | undefined;
  let stopRgw: (() => Promise<void>) | undefined;
  // Ctrl-C still stops the targets (first, so that none writes again), the Ceph cluster and
  // s3rver, and deletes the run's keys.
  const interrupted = () => {
    interruptedBySignal = true;
    progress('interrupted: cleaning up');
    const running = targets ? allTargets(targets) : [];
    void Promise.all([
      ...running.map((target) => target.kill()),
      stopRgw?.().catch(() => undefined),
    ])
      .then(() => env.close())
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  let records: RunRecord[] = [];
  let footprint: RedisFootprint | undefined;
  let sweep: SweepReport | undefined;
  let rgw: RgwFigure | undefined;
  let home: HomeFigure | undefined;
  const loaderApi: LoaderApiFigure[] = [];
  let outbox: OutboxFigure | undefined;
  let step: StepFigure | undefined;
  let clicks: CheckAndSaveFigure | undefined;
  let xml: XmlFigure[] = [];
  try {
    header(options, await machine(env)).forEach((line) => out(line));
    out();
    if (options.scenarios.length > 0) {
      targets = await startTargets(env, options);
      try {
        records = await runRounds(targets, env, options, progress);
      } finally {
        for (const target of allTargets(targets)) await target.stop();
      }
    }
    if (options.cpuProfDir) out(`CPU profiles of the targets: ${resolve(options.cpuProfDir)}`);
    for (const scenario of options.scenarios) {
      scenarioSection(records, scenario).forEach((line) => out(line));
      out();
    }
    footprint = await measureFootprint(env);
    if (options.sweepSizes.length > 0) {
      sweep = await measureSweeps(
        env,
        options.sweepSizes,
        options.replicas,
        progress,
        profileArgs(options),
      );
      sweepLines(sweep).forEach((line) => out(line));
      out();
    }
    home = await measureHome(env, 100, progress);
    homeLines(home).forEach((line) => out(line));
    out();
    for (const size of options.apiSizes)
      loaderApi.push(await measureLoaderApi(env, size, progress));
    if (loaderApi.length > 0) {
      loaderApiLines(loaderApi).forEach((line) => out(line));
      out();
    }
    if (options.events > 0) {
      outbox = await measureOutbox(env, options.events, progress);
      outboxLines(outbox).forEach((line) => out(line));
      out();
    }
    if (options.stepRuns > 0) {
      step = await measureStep(env, options.stepRuns, progress);
      stepLines(step).forEach((line) => out(line));
      out();
    }
    if (options.clickBursts.length > 0) {
      clicks = await measureCheckAndSave(env, options.clickBursts, progress, profileArgs(options));
      checkAndSaveLines(clicks).forEach((line) => out(line));
      out();
    }
    if (options.xmlSizes.length > 0) {
      xml = measureXml(options.xmlSizes);
      xmlLines(xml).forEach((line) => out(line));
      out();
    }
    if (options.rgw) {
      progress('rgw: starting and stopping a throw-away Ceph cluster');
      try {
        rgw = await measureRgw((stop) => (stopRgw = stop));
        rgwLines(rgw).forEach((line) => out(line));
      } catch (error) {
        // Ctrl-C stops the script too: that is no news. Otherwise the other figures stand
        // without it, and the script's reason says what to install.
        if (interruptedBySignal) throw error;
        out(error instanceof Error ? error.message : String(error));
      }
      out();
    }
  } finally {
    process.off('SIGINT', interrupted);
    const deleted = await env.close();
    progress(`cleaned up: servers stopped, ${deleted} Redis keys under ${env.keyPrefix} deleted`);
  }
  out(`load average at the end: ${loadAverage()}`);
  out();
  out('Targets');
  verdictLines([
    ...verdicts(records, footprint, sweep, rgw),
    ...oauthVerdicts(records, options.scenarios),
    ...(home ? homeVerdicts(home) : []),
    ...loaderApiVerdicts(loaderApi),
    ...(outbox ? outboxVerdicts(outbox) : []),
    ...(step ? stepVerdicts(step) : []),
    ...(clicks ? checkAndSaveVerdicts(clicks) : []),
    ...xmlVerdicts(xml),
  ]).forEach((line) => out(line));
}

// No process.exit on success: the process ends by itself only once every server, client and
// child process is closed, which is how the benchmark shows that it cleaned up.
main().catch((error: unknown) => {
  // Stopping the targets on Ctrl-C fails the run in progress; that is no news.
  if (interruptedBySignal) return;
  process.stderr.write(
    `bench could not run: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exitCode = 1;
});
