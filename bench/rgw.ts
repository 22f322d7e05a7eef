import { execFile } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** This file runs from dist-bench/bench/: two levels up is the repository. */
const REPOSITORY = resolve(__dirname, '..', '..');
const CLUSTER_SCRIPT = join(REPOSITORY, 'scripts', 'rgw-cluster.sh');
const REAL_S3_TESTS = join(REPOSITORY, 'test', 'real-s3');
// The real-S3 tests' own bounds (test/support/rgw.ts).
const START_TIMEOUT_MS = 80_000;
const STOP_TIMEOUT_MS = 30_000;

export interface RgwFigure {
  /** From running the script until radosgw answered HTTP: what a test file waits in beforeAll. */
  readonly startSeconds: number;
  /** Killing the daemons and deleting the directory: what a test file waits in afterAll. */
  readonly stopSeconds: number;
  /** Test files in test/real-s3; each starts and stops a cluster of its own. */
  readonly suiteFiles: number;
}

/**
 * Starts a throw-away Ceph cluster as the real-S3 tests do (scripts/rgw-cluster.sh in a fresh
 * temporary directory), then stops it, timing both in wall time: the suite waits for the daemons,
 * not for this process's CPU. `track` gets the stop at once, so that Ctrl-C can stop the cluster.
 */
export async function measureRgw(track: (stop: () => Promise<void>) => void): Promise<RgwFigure> {
  const directory = await mkdtemp(join(tmpdir(), 'bench-rgw-'));
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= run(CLUSTER_SCRIPT, ['stop', directory], { timeout: STOP_TIMEOUT_MS }).then(
      () => undefined,
    );
    return stopped;
  };
  track(stop);
  const starting = performance.now();
  try {
    await run(CLUSTER_SCRIPT, ['start', directory], { timeout: START_TIMEOUT_MS });
  } catch (error) {
    // The script kills its daemons when a start fails; stopping again covers our timeout.
    await stop().catch(() => undefined);
    const { stderr, killed } = error as { stderr?: string; killed?: boolean };
    const reason = killed ? ` within ${START_TIMEOUT_MS / 1000} s` : '';
    throw new Error(`Ceph RGW did not start${reason}: ${stderr?.trim() || String(error)}`, {
      cause: error,
    });
  }
  const startSeconds = (performance.now() - starting) / 1000;
  const stopping = performance.now();
  await stop();
  const stopSeconds = (performance.now() - stopping) / 1000;
  const suiteFiles = (await readdir(REAL_S3_TESTS)).filter((name) =>
    name.endsWith('.test.ts'),
  ).length;
  return { startSeconds, stopSeconds, suiteFiles };
}

/** The cluster's start and stop, and what they add to the real-S3 suite. */
export function rgwLines(figure: RgwFigure): string[] {
  const perFile = figure.startSeconds + figure.stopSeconds;
  return [
    'Ceph RGW for the real-S3 suite (scripts/rgw-cluster.sh: monitor, memstore OSD, radosgw on loopback)',
    `  Ceph RGW start for the real-S3 suite: ${figure.startSeconds.toFixed(1)} s; stop ${figure.stopSeconds.toFixed(1)} s`,
    `  ${figure.suiteFiles} test files start a cluster each: about ${(figure.suiteFiles * perFile).toFixed(0)} s ` +
      'of the suite when they run one after another (jest’s single worker on 2 cores)',
  ];
}
