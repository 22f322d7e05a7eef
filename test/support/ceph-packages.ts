import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The programs of Ceph's packages the real-S3 tests start (`scripts/rgw-cluster.sh`); their
 * Debian packages bring the rest (`ceph`, `monmaptool`, `radosgw-admin`) with them.
 */
export const CEPH_PROGRAMS = ['radosgw', 'ceph-mon', 'ceph-osd'] as const;

/**
 * The channel from jest's global set-up to the real-S3 test files: `1` when they must skip.
 * Set only by the global set-up, so that a missing Ceph is decided once per run.
 */
export const SKIP_RGW_ENV = 'TEST_SKIP_RGW';

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

/** The Ceph programs not found on `path`, in `CEPH_PROGRAMS` order. */
export function missingCephPrograms(path = process.env.PATH ?? ''): string[] {
  return CEPH_PROGRAMS.filter((program) => !onPath(program, path));
}

/** What a developer without Ceph reads once per run, before any test. */
export function cephBanner(missing: readonly string[]): string {
  const rule = '='.repeat(78);
  return [
    '',
    rule,
    `  Ceph is not installed (${missing.join(', ')} not on PATH):`,
    '  the real-S3 tests in test/real-s3 are SKIPPED on this run.',
    '  To run them, install Ceph:   sudo apt-get install radosgw ceph-mon ceph-osd',
    '  or run everything as CI does: bash .ci/run',
    '  (With CI=true a missing Ceph fails those tests instead of skipping them.)',
    rule,
    '',
  ].join('\n');
}

/**
 * Decides, once per run, whether the real-S3 files run: outside CI a machine without Ceph skips
 * them after saying how to install it; in CI (`CI=true`) they run and fail, so CI never passes
 * without them. The decision reaches the test files through `SKIP_RGW_ENV`.
 */
export function decideRgwTests(write: (text: string) => void): void {
  delete process.env[SKIP_RGW_ENV];
  if (process.env.CI === 'true') return;
  const missing = missingCephPrograms();
  if (missing.length === 0) return;
  write(cephBanner(missing));
  process.env[SKIP_RGW_ENV] = '1';
}
