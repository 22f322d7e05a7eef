import { performance } from 'node:perf_hooks';
import { forEachConcurrently } from '../test/support/worker-pool';
import { createRedisClient, createRedisStores, waitForRedis } from '../src/store';
import type { BenchEnvironment } from './environment';
import { benchDestination } from './fixtures';
import { percentile, type Verdict } from './report';
import { startTarget } from './target-process';

/** The page size the target is set for (the API's default). */
const PAGE_SIZE = 100;
/** Walks over every page: one untimed (connections, scripts, JIT), then the timed ones. */
const WARMUP_WALKS = 1;
const TIMED_WALKS = 5;
/** Workspaces the destinations are spread over, unevenly, as in the end-to-end test. */
const WORKSPACE_SHARES = [0.5, 0.0001, 0.4999];
const SEED_CONCURRENCY = 16;
const TOKEN = 'bench-loader-token-0123456789';
/** The target: p99 of a page of 100 with 10,000 destinations. */
export const LOADER_API_TARGET = { destinations: 10_000, p99Ms: 50 } as const;

export interface LoaderApiFigure {
  readonly destinations: number;
  readonly workspaces: number;
  readonly pageSize: number;
  /** Timed page requests: every page of every timed walk. */
  readonly requests: number;
  readonly pagesPerWalk: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Keys in the Redis database while it ran: teams are found by SCAN over all of them. */
  readonly keysInDatabase: number;
  readonly seedSeconds: number;
}

/** `count` destinations in WORKSPACE_SHARES.length workspaces, `TBENCHAPI0`…, under `prefix`. */
async function seed(env: BenchEnvironment, prefix: string, count: number): Promise<void> {
  const redis = createRedisClient(env.redisUrl, { keyPrefix: prefix });
  try {
    await waitForRedis(redis, 5000);
    const stores = createRedisStores(redis, 86400);
    const sizes = WORKSPACE_SHARES.map((share) => Math.max(1, Math.round(share * count)));
    sizes[0] += count - sizes.reduce((sum, size) => sum + size, 0);
    const drafts = sizes.flatMap((size, team) =>
      Array.from({ length: size }, (_, index) =>
        benchDestination(
          `TBENCHAPI${team}`,
          `${env.bucketTag}-api-${String(index).padStart(6, '0')}`,
        ),
      ),
    );
    await forEachConcurrently(drafts, SEED_CONCURRENCY, async (draft) => {
      await stores.destinations.save(draft);
    });
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

interface Page {
  readonly destinations: { team_id: string; bucket: string }[];
  readonly next_cursor: string | null;
}

/** Every page from the first, timing each request; checks that each destination comes once. */
async function walk(base: string, expected: number, timings?: number[]): Promise<number> {
  const seen = new Set<string>();
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query = `limit=${PAGE_SIZE}${cursor ? `&cursor=${cursor}` : ''}`;
    const started = performance.now();
    const response = await fetch(`${base}/api/v1/destinations?${query}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const page = (await response.json()) as Page;
    timings?.push(performance.now() - started);
    if (response.status !== 200) throw new Error(`page ${pages + 1}: HTTP ${response.status}`);
    for (const { team_id: teamId, bucket } of page.destinations) {
      const id = `${teamId}/${bucket}`;
      if (seen.has(id)) throw new Error(`${id} came twice`);
      seen.add(id);
    }
    cursor = page.next_cursor;
    pages += 1;
  } while (cursor);
  if (seen.size !== expected) throw new Error(`a walk saw ${seen.size} of ${expected}`);
  return pages;
}

/**
 * The loader API of the real app (in a process of its own, over Redis) with `destinations`
 * saved: every page of 100 walked over HTTP with a bearer token, one request at a time.
 */
export async function measureLoaderApi(
  env: BenchEnvironment,
  destinations: number,
  progress: (line: string) => void,
): Promise<LoaderApiFigure> {
  const prefix = `${env.keyPrefix}api${destinations}:`;
  progress(`loader API: seeding ${destinations} destinations`);
  const seedStarted = performance.now();
  await seed(env, prefix, destinations);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const target = await startTarget({
    kind: 'app',
    redisUrl: env.redisUrl,
    keyPrefix: prefix,
    s3Endpoint: env.s3.endpoint,
    slackApiUrl: env.slack.apiUrl,
    logLevel: 'warn',
    loaderApiTokens: [TOKEN],
  });
  try {
    const base = target.url.replace('/slack/events', '');
    progress(`loader API: ${WARMUP_WALKS + TIMED_WALKS} walks over every page of ${PAGE_SIZE}`);
    for (let round = 0; round < WARMUP_WALKS; round += 1) await walk(base, destinations);
    const timings: number[] = [];
    let pagesPerWalk = 0;
    for (let round = 0; round < TIMED_WALKS; round += 1) {
      pagesPerWalk = await walk(base, destinations, timings);
    }
    const problems = [...target.takeProblems()];
    if (problems.length > 0) progress(`loader API target logged: ${problems[0][0]}`);
    return {
      destinations,
      workspaces: WORKSPACE_SHARES.length,
      pageSize: PAGE_SIZE,
      requests: timings.length,
      pagesPerWalk,
      p50Ms: percentile(timings, 0.5),
      p99Ms: percentile(timings, 0.99),
      maxMs: Math.max(...timings),
      keysInDatabase: await env.admin.dbsize(),
      seedSeconds,
    };
  } finally {
    await target.stop();
  }
}

export function loaderApiLines(figures: readonly LoaderApiFigure[]): string[] {
  const lines = [
    `Loader API: GET /api/v1/destinations?limit=${PAGE_SIZE}, every page walked with its cursor over HTTP,`,
    `  one request at a time, bearer token; the real app in its own process over Redis`,
  ];
  for (const figure of figures) {
    lines.push(
      `  ${String(figure.destinations).padStart(6)} destinations in ${figure.workspaces} workspaces: ` +
        `${figure.requests} page requests (${TIMED_WALKS} walks of ${figure.pagesPerWalk}): ` +
        `p50 ${figure.p50Ms.toFixed(1)} ms, p99 ${figure.p99Ms.toFixed(1)} ms, max ${figure.maxMs.toFixed(1)} ms; ` +
        `${figure.keysInDatabase} keys in the Redis database (seeding took ${figure.seedSeconds.toFixed(0)} s, not counted)`,
    );
  }
  return lines;
}

export function loaderApiVerdicts(figures: readonly LoaderApiFigure[]): Verdict[] {
  return figures.map((figure) => {
    const targeted = figure.destinations === LOADER_API_TARGET.destinations;
    return {
      figure: `loader API page of ${figure.pageSize}, ${figure.destinations} destinations`,
      measured: `p99 ${figure.p99Ms.toFixed(1)} ms`,
      target: targeted ? `≤ ${LOADER_API_TARGET.p99Ms} ms` : 'none set (reported)',
      met: targeted ? figure.p99Ms <= LOADER_API_TARGET.p99Ms : undefined,
    };
  });
}
