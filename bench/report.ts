import type { RedisFootprint } from './footprint';
import type { BenchOptions } from './options';
import type { RunRecord } from './rounds';
import { SCENARIOS, type ScenarioId } from './scenarios';
import type { RgwFigure } from './rgw';
import type { SweepReport } from './sweep';
import type { TargetKind } from './target-protocol';

const TARGET_KINDS: readonly TargetKind[] = ['app', 'app-oauth', 'baseline', 'bolt-setup-modal'];

/** The targets this benchmark reports against. */
export const TARGETS = {
  /** The setup command's throughput against bare Bolt at warn: at least the same. */
  setupThroughputShare: 1,
  setupP99Ms: 100,
  submitP99Ms: 150,
  sessionBytes: 2048,
  twoReplicaShare: 0.6,
  monitorCpuMsPerDestination: 1,
  /** OAuth mode's CPU per request above the app for one workspace, as a share. */
  oauthOverhead: 0.1,
} as const;

export interface Verdict {
  readonly figure: string;
  readonly measured: string;
  readonly target: string;
  /** undefined: not measured in this run. */
  readonly met?: boolean;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The value `share` of the way up the sorted values (0.99: the p99). */
export function percentile(values: readonly number[], share: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))];
}

/** A round's time: to the hundredth of a second while it is short. */
const roundTime = (seconds: number) => `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;
const pad = (text: string | number, width: number) => String(text).padStart(width);

export interface Summary {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** Target CPU per answered request, work after the ack included, in milliseconds. */
  readonly cpuMsPerRequest: number;
}

/** The median of each figure over the timed rounds. */
export function summarize(
  records: readonly RunRecord[],
  scenario: ScenarioId,
  target: TargetKind,
): Summary | undefined {
  const runs = records.filter((r) => r.scenario === scenario && r.target === target && r.round > 0);
  if (runs.length === 0) return undefined;
  return {
    requestsPerSecond: median(runs.map((r) => r.load.requestsPerSecond)),
    p50: median(runs.map((r) => r.load.p50)),
    p99: median(runs.map((r) => r.load.p99)),
    cpuMsPerRequest: median(runs.map(cpuPerRequest)),
  };
}

/**
 * The target's CPU time per answered request, work after the ack included, in milliseconds:
 * steadier than req/s on a shared machine.
 */
function cpuPerRequest(run: RunRecord): number {
  return run.cpuMillis / Math.max(1, run.load.completed);
}

function followUpText(record: RunRecord): string {
  return Object.entries(record.followUps)
    .map(([method, count]) => `${method} ${count}`)
    .join(', ');
}

const TARGET_WIDTH = 16;

function ratioLine(label: string, ours: Summary, reference: Summary): string {
  const share = ours.requestsPerSecond / reference.requestsPerSecond;
  return (
    `  ${label}: throughput ${share.toFixed(2)}× (${(100 * share).toFixed(0)}%), ` +
    `p50 ${(ours.p50 / reference.p50).toFixed(2)}×, p99 ${(ours.p99 / reference.p99).toFixed(2)}×, ` +
    `CPU ms/req ${(ours.cpuMsPerRequest / reference.cpuMsPerRequest).toFixed(2)}×`
  );
}

/** `+4.1%`: how far `ours` is above (or below) `reference`. */
function relative(ours: number, reference: number): string {
  const change = ((ours - reference) / reference) * 100;
  return `${change >= 0 ? '+' : '−'}${Math.abs(change).toFixed(1)}%`;
}

function oauthLine(oauth: Summary, single: Summary): string {
  return (
    `  OAuth mode / one workspace: throughput ${relative(oauth.requestsPerSecond, single.requestsPerSecond)}, ` +
    `p50 ${relative(oauth.p50, single.p50)}, p99 ${relative(oauth.p99, single.p99)}, ` +
    `CPU ms/req ${relative(oauth.cpuMsPerRequest, single.cpuMsPerRequest)} ` +
    `(${oauth.cpuMsPerRequest.toFixed(2)} vs ${single.cpuMsPerRequest.toFixed(2)})`
  );
}

function checksLine(runs: readonly RunRecord[], kind: TargetKind): string | undefined {
  const checks = runs.filter((r) => r.target === kind);
  if (checks.length === 0) return undefined;
  const posted = checks.reduce((sum, r) => sum + (r.followUps['chat.postMessage'] ?? 0), 0);
  const saved = checks.reduce((sum, r) => sum + (r.checksSaved ?? 0), 0);
  const clicks = checks.reduce((sum, r) => sum + r.load.completed, 0);
  const seconds = checks.reduce((sum, r) => sum + r.load.durationSeconds + r.drainMs / 1000, 0);
  return (
    `  checks end to end (${kind}): ${clicks} clicks acked, ${posted} results posted in the channel, ` +
    `${saved} passed and saved, ${posted - saved} failed; ` +
    `${(posted / seconds).toFixed(0)} checks/s from the first click to the last result`
  );
}

/** One scenario: every run, the medians per target, and the app against the references. */
export function scenarioSection(records: readonly RunRecord[], scenario: ScenarioId): string[] {
  const meta = SCENARIOS.find((s) => s.id === scenario);
  const runs = records.filter((r) => r.scenario === scenario && r.round > 0);
  const lines = [
    `(${scenario}) ${meta?.title ?? ''}`,
    `  round ${'target'.padEnd(TARGET_WIDTH)}    req/s   p50 ms   p99 ms  failed  CPU ms/req` +
      `  CPU target/load  loop p99  after the acks`,
  ];
  for (const run of runs) {
    const saved =
      run.checksSaved === undefined
        ? ''
        : `; saved ${run.checksSaved}; all done ${(run.drainMs / 1000).toFixed(1)} s after the load` +
          (run.drained ? '' : ' (NOT drained)');
    const overrun =
      run.load.overrun > 0
        ? `; sessions ran out after ${run.load.durationSeconds.toFixed(1)} s (${run.load.overrun} sent on used ones)`
        : '';
    const cpu = `${(run.cpuShare * 100).toFixed(0)}% / ${(run.generatorCpuShare * 100).toFixed(0)}%`;
    lines.push(
      `  ${pad(run.round, 5)} ${run.target.padEnd(TARGET_WIDTH)} ` +
        `${pad(run.load.requestsPerSecond.toFixed(0), 8)} ${pad(run.load.p50.toFixed(1), 8)} ` +
        `${pad(run.load.p99.toFixed(1), 8)} ${pad(run.load.failed, 7)} ` +
        `${pad(cpuPerRequest(run).toFixed(2), 11)} ${pad(cpu, 16)} ${pad(ms(run.loopDelayP99Ms), 9)}  ` +
        `${followUpText(run)}${saved}${overrun}`,
    );
    for (const [problem, count] of run.problems) {
      lines.push(`        logged ${count}× "${problem}"`);
    }
  }
  const summaries = TARGET_KINDS.map((kind) => [kind, summarize(records, scenario, kind)] as const);
  for (const [kind, summary] of summaries) {
    if (!summary) continue;
    lines.push(
      `  median ${kind.padEnd(TARGET_WIDTH - 1)} ${pad(summary.requestsPerSecond.toFixed(0), 8)} ` +
        `${pad(summary.p50.toFixed(1), 8)} ${pad(summary.p99.toFixed(1), 8)} ${pad('', 7)} ` +
        `${pad(summary.cpuMsPerRequest.toFixed(2), 11)}`,
    );
  }
  const [app, appOAuth, baseline, boltSetupModal] = summaries.map(([, summary]) => summary);
  if (app && baseline) lines.push(ratioLine('app / baseline', app, baseline));
  if (appOAuth && baseline) lines.push(ratioLine('app-oauth / baseline', appOAuth, baseline));
  if (app && boltSetupModal) {
    lines.push(ratioLine('app / Bolt opening the same setup modal', app, boltSetupModal));
  }
  if (appOAuth && app) lines.push(oauthLine(appOAuth, app));
  if (scenario === 'c') {
    for (const kind of ['app', 'app-oauth'] as const) {
      const line = checksLine(runs, kind);
      if (line) lines.push(line);
    }
  }
  return lines;
}

const kb = (bytes: number) => `${bytes.toFixed(0)} B (${(bytes / 1024).toFixed(2)} KB)`;

/**
 * The setup command in each mode that ran, against bare Bolt logging at warn: at least its
 * throughput and a p99 no worse than its own; and the p99 against its absolute target, which a
 * busy machine misses for both alike.
 */
function setupVerdicts(records: readonly RunRecord[]): Verdict[] {
  const base = summarize(records, 'a', 'baseline');
  if (!base) return [];
  const list: Verdict[] = [];
  for (const [kind, mode] of [
    ['app', 'one workspace'],
    ['app-oauth', 'OAuth mode'],
  ] as const) {
    const app = summarize(records, 'a', kind);
    if (!app) continue;
    const share = app.requestsPerSecond / base.requestsPerSecond;
    list.push(
      {
        figure: `(a) setup throughput vs bare Bolt, ${mode}`,
        measured:
          `${share.toFixed(2)}× (${app.requestsPerSecond.toFixed(0)} vs ${base.requestsPerSecond.toFixed(0)} req/s; ` +
          `CPU ${app.cpuMsPerRequest.toFixed(2)} vs ${base.cpuMsPerRequest.toFixed(2)} ms/req)`,
        target: `≥ ${TARGETS.setupThroughputShare.toFixed(1)}×`,
        met: share >= TARGETS.setupThroughputShare,
      },
      {
        figure: `(a) setup p99 vs bare Bolt, ${mode}`,
        measured: `${ms(app.p99)} vs ${ms(base.p99)}`,
        target: `≤ bare Bolt's`,
        met: app.p99 <= base.p99,
      },
      {
        figure: `(a) setup p99, ${mode}`,
        measured: ms(app.p99),
        target: `≤ ${TARGETS.setupP99Ms} ms`,
        met: app.p99 <= TARGETS.setupP99Ms,
      },
    );
  }
  return list;
}

/** Every figure against its target. */
export function verdicts(
  records: readonly RunRecord[],
  footprint: RedisFootprint | undefined,
  sweep: SweepReport | undefined,
  rgw?: RgwFigure,
): Verdict[] {
  const list: Verdict[] = [];
  list.push(...setupVerdicts(records));
  const submit = summarize(records, 'b', 'app');
  if (submit) {
    list.push({
      figure: '(b) submit p99',
      measured: ms(submit.p99),
      target: `≤ ${TARGETS.submitP99Ms} ms`,
      met: submit.p99 <= TARGETS.submitP99Ms,
    });
  }
  const check = summarize(records, 'c', 'app');
  if (check) {
    list.push({
      figure: '(c) Check and Save ack p99',
      measured: ms(check.p99),
      target: 'none set (reported)',
    });
  }
  if (footprint?.bytesPerSession !== undefined) {
    list.push({
      figure: 'Redis per setup session',
      measured: `${kb(footprint.bytesPerSession)}, mean of ${footprint.sessionsMeasured}`,
      target: `≤ ${TARGETS.sessionBytes / 1024} KB`,
      met: footprint.bytesPerSession <= TARGETS.sessionBytes,
    });
  }
  if (footprint?.bytesPerDestination !== undefined) {
    list.push({
      figure: 'Redis per saved destination',
      measured: `${kb(footprint.bytesPerDestination)}, over ${footprint.destinationsMeasured}`,
      target: 'none set (reported)',
    });
  }
  for (const figure of sweep?.sweeps ?? []) {
    list.push({
      figure: `round of ${figure.destinations}, ${figure.replicas} process(es)`,
      measured: roundTime(figure.seconds),
      target: 'reported',
    });
    list.push({
      figure: `monitor CPU per destination (${figure.destinations}, ${figure.replicas} proc.)`,
      measured: `${figure.cpuMsPerDestination.toFixed(2)} ms`,
      target: `≤ ${TARGETS.monitorCpuMsPerDestination} ms`,
      met: figure.cpuMsPerDestination <= TARGETS.monitorCpuMsPerDestination,
    });
  }
  for (const two of sweep?.sweeps.filter((figure) => figure.replicas === 2) ?? []) {
    const one = sweep?.sweeps.find((f) => f.replicas === 1 && f.destinations === two.destinations);
    if (!one) continue;
    const share = two.seconds / one.seconds;
    list.push({
      figure: `round of ${two.destinations}: 2 processes vs 1`,
      measured: `${(share * 100).toFixed(0)}% of the time`,
      target: `≤ ${TARGETS.twoReplicaShare * 100}%`,
      met: share <= TARGETS.twoReplicaShare,
    });
  }
  if (rgw) {
    list.push({
      figure: 'Ceph RGW start for the real-S3 suite',
      measured: `${rgw.startSeconds.toFixed(1)} s`,
      target: 'none set (reported)',
    });
  }
  return list;
}

/**
 * Per scenario run against both apps: OAuth mode's CPU per request (the installation read, opened
 * and parsed on every request, challenge names sealed) against the app for one workspace.
 */
export function oauthVerdicts(
  records: readonly RunRecord[],
  scenarios: readonly ScenarioId[],
): Verdict[] {
  const list: Verdict[] = [];
  for (const scenario of scenarios) {
    const single = summarize(records, scenario, 'app');
    const oauth = summarize(records, scenario, 'app-oauth');
    if (!single || !oauth) continue;
    const overhead = oauth.cpuMsPerRequest / single.cpuMsPerRequest - 1;
    list.push({
      figure: `(${scenario}) OAuth mode vs one workspace, CPU/req`,
      measured:
        `${relative(oauth.cpuMsPerRequest, single.cpuMsPerRequest)} ` +
        `(${oauth.cpuMsPerRequest.toFixed(2)} vs ${single.cpuMsPerRequest.toFixed(2)} ms); ` +
        `req/s ${relative(oauth.requestsPerSecond, single.requestsPerSecond)}, ` +
        `p99 ${relative(oauth.p99, single.p99)}`,
      target: `≤ +${TARGETS.oauthOverhead * 100}%`,
      met: overhead <= TARGETS.oauthOverhead,
    });
  }
  return list;
}

export function verdictLines(list: readonly Verdict[]): string[] {
  const width = Math.max(...list.map((v) => v.figure.length));
  const measuredWidth = Math.max(...list.map((v) => v.measured.length));
  return list.map((v) => {
    const mark = v.met === undefined ? '' : v.met ? 'MET' : '*** MISSED ***';
    return `  ${v.figure.padEnd(width)}  ${v.measured.padEnd(measuredWidth)}  target ${v.target.padEnd(22)} ${mark}`;
  });
}

export function sweepLines(sweep: SweepReport): string[] {
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
  const lines = [
    `Monitor round (startMonitor in each process, ${sweep.concurrency} checks at a time per process, the routine`,
    `  check on each destination, against an in-memory S3 stand-in answering after ${sweep.s3DelayMs} ms; each`,
    `  process is fresh, so its first round includes its warm-up; a round of fewer than ${sweep.warmUpBelow}`,
    '  is timed after an untimed one in the same processes; in brackets, the checks each process ran)',
  ];
  for (const figure of sweep.sweeps) {
    const cpu = figure.perReplica.map((r) => `${r.cpuSeconds.toFixed(1)} s`).join(' + ');
    const memory = figure.perReplica.map((r) => mb(r.peakRssBytes)).join(', ');
    const shares = figure.perReplica.map((r) => r.checks).join(' + ');
    lines.push(
      `  ${pad(figure.destinations, 7)} destinations, ${figure.replicas} process(es): ${roundTime(figure.seconds)}, ` +
        `${(figure.checked / figure.seconds).toFixed(0)} destinations/s; checked ${figure.checked} (${shares}), failures ${figure.failures}; ` +
        `CPU ${cpu} = ${figure.cpuMsPerDestination.toFixed(2)} ms per destination; peak memory ${memory}`,
    );
  }
  lines.push(`  (seeding the destinations took ${sweep.seedSeconds.toFixed(0)} s, not counted)`);
  return lines;
}

export function header(options: BenchOptions, machine: string[]): string[] {
  const lines = ['s3-destination-bot benchmark', ...machine.map((line) => `  ${line}`)];
  if (options.scenarios.length === 0) return [...lines, '  load: none (--scenarios none)'];
  return [
    ...lines,
    `  load: ${options.connections} connections, ${options.rounds} rounds × ${options.duration} s per target and scenario` +
      ` (warm-up ${options.warmup} s); each round runs the apps (taking turns to go first), then the baseline; figures are medians over rounds`,
    `  mode: ${options.mode} (--mode); app-oauth = the same app in OAuth mode: Bolt authorizes each request`,
    '  from the workspace’s installation in Redis (GET, AES-GCM open, JSON.parse), challenge names sealed',
    '  targets: app = createApp with Redis, local S3 and the Slack stand-in, LOG_LEVEL=info, the monitor on;',
    '  baseline = bare Bolt at log level warn, one-block modal through Bolt’s client, acks only;',
    '  bolt-setup-modal = the same bare Bolt opening the app’s real setup modal (setup command only)',
    '  columns: CPU ms/req = target CPU per answered request, work after the ack included; CPU target/load =',
    '  target and load generator CPU as a share of one core; loop p99 = the target’s event-loop delay',
  ];
}
