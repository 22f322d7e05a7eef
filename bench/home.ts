import { performance } from 'node:perf_hooks';
import { webApi } from '@slack/bolt';
import { publishHome } from '../src/slack/home/publisher';
import { HomeRefresher, refreshRound } from '../src/slack/home/refresh';
import { HOME_RECENT_ACTIVITY, buildHomeView, homePage } from '../src/slack/home/view';
import {
  CHECK_HISTORY_MAX_ENTRIES,
  createRedisClient,
  createRedisStores,
  waitForRedis,
  type SavedDestination,
  type Stores,
} from '../src/store';
import { RedisSessionIndex } from '../src/store/session-index';
import type { Verifier } from '../src/verify/verifier-port';
import { benchDeps } from './bench-deps';
import type { BenchEnvironment } from './environment';
import { percentile, type Verdict } from './report';
import { BOT_TOKEN } from './target-protocol';

const TEAM = 'TBENCHHOME';
/** Publishes timed, after WARMUP untimed ones. */
const PUBLISHES = 300;
const WARMUP = 30;
/** Builds of the view alone (no Redis, no Slack). */
const BUILDS = 1000;
/** Viewers one refresh round republishes: the most a round takes (HomeRefresher's default). */
const ROUND_VIEWERS = new HomeRefresher().maxViewers;

export interface HomeFigure {
  readonly destinations: number;
  /** The published view: blocks, and bytes of its JSON. */
  readonly blocks: number;
  readonly viewBytes: number;
  /** publishHome end to end (Redis reads, build, views.publish to the stand-in, hash kept). */
  readonly publishes: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** This process's CPU per publish, in ms (the Slack stand-in runs in it too). */
  readonly cpuMsPerPublish: number;
  /** buildHomeView alone, CPU ms per build. */
  readonly buildCpuMs: number;
  /** One refresh round of ROUND_VIEWERS viewers: seconds, and views.publish calls it made. */
  readonly roundViewers: number;
  readonly roundSeconds: number;
  readonly roundPublishes: number;
}

const NO_VERIFIER: Verifier = {
  verify: () => Promise.reject(new Error('no checks in this benchmark')),
  watch: () => Promise.reject(new Error('no checks in this benchmark')),
};

function destination(index: number, now: number): SavedDestination {
  const at = new Date(now - index * 60_000).toISOString();
  return {
    teamId: TEAM,
    version: 0,
    settings: {
      bucket: `bench-home-${String(index).padStart(4, '0')}`,
      region: 'eu-west-1',
      format: index % 2 === 0 ? 'csv' : 'jsonl',
      csvDelimiter: 'pipe',
      csvForceQuote: true,
      keyTemplate: 'exports/[integration_name]/[table_name]/[table_version]_[timestamp_loaded]',
    },
    challengeKey: `s3-destination-challenge-file-00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    channelId: 'C0BENCH',
    connectedBy: 'U0BENCH',
    connectedAt: at,
    verifiedAt: at,
    // One in ten failing: those come first, as in a workspace with trouble.
    lastCheck:
      index % 10 === 0
        ? { at, ok: false, summary: 'Failed: Challenge file' }
        : { at, ok: true, summary: 'All checks passed' },
  };
}

/** `count` destinations, each with a full strip of checks, and a full recent activity. */
async function seed(stores: Stores, count: number): Promise<void> {
  const now = Date.now();
  for (let index = 0; index < count; index += 1) {
    const saved = destination(index, now);
    await stores.destinations.save(saved);
    for (let check = 0; check < CHECK_HISTORY_MAX_ENTRIES; check += 1) {
      await stores.history.append(TEAM, saved.settings.bucket, {
        at: new Date(now - (CHECK_HISTORY_MAX_ENTRIES - check) * 3_600_000).toISOString(),
        ok: check % 7 !== 0,
      });
    }
  }
  for (let entry = 0; entry < HOME_RECENT_ACTIVITY; entry += 1) {
    await stores.audit.append(TEAM, {
      at: new Date(now - entry * 60_000).toISOString(),
      actor: 'monitor',
      action: 'monitor_alert',
      bucket: destination(entry, now).settings.bucket,
      outcome: 'Failed: Challenge file',
    });
  }
}

/**
 * The cost of the App Home with `destinations` saved destinations: publishHome end to end against
 * Redis and the Slack stand-in (one user, sequentially), buildHomeView alone, and one refresh
 * round of the most viewers a round takes.
 */
export async function measureHome(
  env: BenchEnvironment,
  destinations: number,
  progress: (line: string) => void,
): Promise<HomeFigure> {
  const redis = createRedisClient(env.redisUrl, { keyPrefix: `${env.keyPrefix}home:` });
  await waitForRedis(redis, 5000);
  const stores = createRedisStores(redis, 86400);
  const problems: string[] = [];
  const deps = benchDeps({
    stores,
    sessionIndex: new RedisSessionIndex(redis, 86400),
    verifier: NO_VERIFIER,
    problems,
  });
  const client = new webApi.WebClient(BOT_TOKEN, { slackApiUrl: env.slack.apiUrl });
  try {
    progress(
      `home: seeding ${destinations} destinations with ${CHECK_HISTORY_MAX_ENTRIES} checks each`,
    );
    await seed(stores, destinations);

    const saved = await stores.destinations.list(TEAM);
    const { shown } = homePage(saved, 0);
    const histories = await stores.history.recent(
      TEAM,
      shown.map((d) => d.settings.bucket),
    );
    const recent = await stores.audit.recent(TEAM, HOME_RECENT_ACTIVITY);
    const input = {
      destinations: saved,
      histories,
      recent,
      page: 0,
      isAdmin: true,
      now: new Date(),
    };
    const view = buildHomeView(input);
    progress(`home: building the view alone, ${BUILDS} times`);
    const buildCpu = process.cpuUsage();
    for (let build = 0; build < BUILDS; build += 1) JSON.stringify(buildHomeView(input));
    const buildUsage = process.cpuUsage(buildCpu);

    progress(`home: publishing it ${PUBLISHES} times, end to end`);
    const target = { teamId: TEAM, userId: 'U0BENCH', client, channelId: 'D0BENCH', opened: true };
    for (let publish = 0; publish < WARMUP; publish += 1) {
      await publishHome(deps, target, deps.logger);
    }
    const timings: number[] = [];
    const cpuBefore = process.cpuUsage();
    for (let publish = 0; publish < PUBLISHES; publish += 1) {
      const started = performance.now();
      const outcome = await publishHome(deps, target, deps.logger);
      timings.push(performance.now() - started);
      if (outcome !== 'published') throw new Error(`views.publish: ${outcome}`);
    }
    const cpu = process.cpuUsage(cpuBefore);

    progress(`home: one refresh round of ${ROUND_VIEWERS} viewers`);
    for (let viewer = 0; viewer < ROUND_VIEWERS; viewer += 1) {
      const opened = new Date().toISOString();
      await stores.homeViewers.opened(TEAM, { userId: `U0V${viewer}`, page: 0, openedAt: opened });
    }
    const publishedBefore = env.slack.count('views.publish');
    const roundStarted = performance.now();
    const round = await refreshRound(deps, new HomeRefresher(), TEAM, { client }, Date.now());
    const roundSeconds = (performance.now() - roundStarted) / 1000;
    if (!round.complete) throw new Error('the refresh round could not run');
    if (problems.length > 0) progress(`home logged ${problems.length} problems: ${problems[0]}`);

    return {
      destinations,
      blocks: view.blocks.length,
      viewBytes: Buffer.byteLength(JSON.stringify(view)),
      publishes: PUBLISHES,
      p50Ms: percentile(timings, 0.5),
      p99Ms: percentile(timings, 0.99),
      cpuMsPerPublish: (cpu.user + cpu.system) / 1000 / PUBLISHES,
      buildCpuMs: (buildUsage.user + buildUsage.system) / 1000 / BUILDS,
      roundViewers: ROUND_VIEWERS,
      roundSeconds,
      roundPublishes: env.slack.count('views.publish') - publishedBefore,
    };
  } finally {
    await deps.tasks.drain(5000);
    await redis.quit().catch(() => redis.disconnect());
  }
}

export function homeLines(figure: HomeFigure): string[] {
  return [
    `App Home with ${figure.destinations} destinations (each with ${CHECK_HISTORY_MAX_ENTRIES} checks kept; the first page of 20 shown)`,
    `  view: ${figure.blocks} blocks, ${(figure.viewBytes / 1024).toFixed(1)} KB of JSON`,
    `  publishHome end to end (list from Redis, history and audit reads, build, views.publish to the stand-in, hash kept), ` +
      `${figure.publishes} in a row: p50 ${figure.p50Ms.toFixed(1)} ms, p99 ${figure.p99Ms.toFixed(1)} ms, ` +
      `${figure.cpuMsPerPublish.toFixed(2)} ms CPU per publish (this process, the stand-in's answer included)`,
    `  buildHomeView alone, serialised: ${figure.buildCpuMs.toFixed(2)} ms CPU per build`,
    `  one refresh round of ${figure.roundViewers} viewers: ${figure.roundSeconds.toFixed(2)} s, ` +
      `${figure.roundPublishes} views.publish calls (the next round of the team waits ` +
      `${((figure.roundViewers * new HomeRefresher().perViewMs) / 1000).toFixed(0)} s: under Slack's 100 a minute)`,
  ];
}

export function homeVerdicts(figure: HomeFigure): Verdict[] {
  return [
    {
      figure: `App Home publish, ${figure.destinations} destinations`,
      measured: `p99 ${figure.p99Ms.toFixed(1)} ms, ${figure.cpuMsPerPublish.toFixed(2)} ms CPU`,
      target: 'none set (reported)',
    },
  ];
}
