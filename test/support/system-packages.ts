import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Programs of Debian packages some test files start, which a developer's machine may lack:
 * outside CI those files skip without them, after saying how to install them; CI installs them
 * (`.ci/run`) and fails without them.
 */
export interface SystemPrograms {
  /** What a developer installs, in words. */
  readonly name: string;
  readonly programs: readonly string[];
  /** The Debian packages that bring the programs. */
  readonly packages: string;
  /** The test files that need them. */
  readonly tests: string;
  /**
   * The channel from jest's global set-up to those test files: `1` when they must skip. Set only
   * by the global set-up, so that a missing program is decided once per run.
   */
  readonly skipEnv: string;
}

/**
 * Ceph's programs the real-S3 tests start (`scripts/rgw-cluster.sh`); their packages bring the
 * rest (`ceph`, `monmaptool`, `radosgw-admin`) with them.
 */
export const CEPH: SystemPrograms = {
  name: 'Ceph',
  programs: ['radosgw', 'ceph-mon', 'ceph-osd'],
  packages: 'radosgw ceph-mon ceph-osd',
  tests: 'the real-S3 tests in test/real-s3',
  skipEnv: 'TEST_SKIP_RGW',
};

/** Prometheus's promtool, which checks and unit-tests the alert rules in deploy/prometheus. */
export const PROMTOOL: SystemPrograms = {
  name: 'promtool (Prometheus)',
  programs: ['promtool'],
  packages: 'prometheus',
  tests: 'the alert rules tests in test/integration/alert-rules.test.ts',
  skipEnv: 'TEST_SKIP_PROMTOOL',
};

function onPath(program: string, path: string): boolean {
  return path
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(join(dir, program), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/** The programs of `needed` not found on `path`, in their order. */
export function missingPrograms(needed: SystemPrograms, path = process.env.PATH ?? ''): string[] {
  return needed.programs.filter((program) => !onPath(program, path));
}

/** What a developer without the programs reads once per run, before any test. */
export function skipBanner(needed: SystemPrograms, missing: readonly string[]): string {
  const rule = '='.repeat(78);
  return [
    '',
    rule,
    `  ${needed.name} is not installed (${missing.join(', ')} not on PATH):`,
    `  ${needed.tests} are SKIPPED on this run.`,
    `  To run them, install it:   sudo apt-get install ${needed.packages}`,
    '  or run everything as CI does: bash .ci/run',
    `  (With CI=true a missing ${needed.name} fails those tests instead of skipping them.)`,
    rule,
    '',
  ].join('\n');
}

/**
 * Decides, once per run, whether the test files that need `needed` run: outside CI a machine
 * without its programs skips them after saying how to install them; in CI (`CI=true`) they run
 * and fail, so CI never passes without them. The decision reaches the files through `skipEnv`.
 */
export function decideTests(needed: SystemPrograms, write: (text: string) => void): void {
  delete process.env[needed.skipEnv];
  if (process.env.CI === 'true') return;
  const missing = missingPrograms(needed);
  if (missing.length === 0) return;
  write(skipBanner(needed, missing));
  process.env[needed.skipEnv] = '1';
}

/**
 * `describe` for the tests that need `needed`, or `describe.skip` when jest's global set-up found
 * it missing outside CI (it has already said how to install it, once for the whole run).
 */
export function describeWith(needed: SystemPrograms): jest.Describe {
  return process.env[needed.skipEnv] === '1' ? describe.skip : describe;
}
