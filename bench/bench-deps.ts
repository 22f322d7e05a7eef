import type { AppSettings, Deps } from '../src/deps';
import { createLogger } from '../src/log/logger';
import { noMetrics } from '../src/metrics/metrics';
import type { Stores } from '../src/store';
import type { SessionIndex } from '../src/store/session-index';
import { TaskTracker } from '../src/tasks';
import type { Verifier } from '../src/verify/verifier-port';
import { PRINCIPAL_ARN } from './target-protocol';

/** The settings of one workspace every bench app runs with; override what a run is about. */
export function benchAppSettings(overrides: Partial<AppSettings> = {}): AppSettings {
  return {
    principals: { aws: PRINCIPAL_ARN },
    identityProven: true,
    adminUserIds: [],
    sessionTtlSeconds: 86400,
    verifyLockTtlMs: 30_000,
    ...overrides,
  };
}

/**
 * Deps for a measurement run in the benchmark's own process: the given stores and verifier, the
 * settings of one workspace, and a logger at warn whose lines go to `problems`.
 */
export function benchDeps(parts: {
  stores: Stores;
  sessionIndex: SessionIndex;
  verifier: Verifier;
  problems: string[];
  home?: Deps['home'];
}): Deps {
  return {
    logger: createLogger({
      level: 'warn',
      destination: { write: (line: string) => parts.problems.push(line) },
    }),
    stores: parts.stores,
    sessionIndex: parts.sessionIndex,
    verifier: parts.verifier,
    tasks: new TaskTracker(),
    metrics: noMetrics,
    settings: benchAppSettings(),
    now: () => new Date(),
    ...(parts.home ? { home: parts.home } : {}),
  };
}
