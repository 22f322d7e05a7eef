import type { Deps } from '../src/deps';
import { createLogger } from '../src/log/logger';
import { noMetrics } from '../src/metrics/metrics';
import type { Stores } from '../src/store';
import type { SessionIndex } from '../src/store/session-index';
import { TaskTracker } from '../src/tasks';
import type { Verifier } from '../src/verify/verifier-port';
import { PRINCIPAL_ARN } from './target-protocol';

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
    settings: {
      principals: { aws: PRINCIPAL_ARN },
      identityProven: true,
      adminUserIds: [],
      sessionTtlSeconds: 86400,
      verifyLockTtlMs: 30_000,
    },
    now: () => new Date(),
    ...(parts.home ? { home: parts.home } : {}),
  };
}
