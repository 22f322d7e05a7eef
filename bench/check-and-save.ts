import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { newChallengeKey } from '../src/domain/challenge';
import type { SetupSession } from '../src/store';
import { ACTION } from '../src/slack/ids';
import {
  DEFAULT_ACTOR,
  blockActionPayload,
  buttonAction,
  interactionBody,
} from '../test/support/slack-payloads';
import { slackSignatureHeaders } from '../test/support/slack-signer';
import { forEachConcurrently } from '../test/support/worker-pool';
import type { BenchEnvironment } from './environment';
import { benchSettings } from './fixtures';
import { percentile, type Verdict } from './report';
import { startS3StandIn } from './s3-stand-in';
import { startSlackPosts, type SlackPosts } from './slack-posts';
import { SIGNING_SECRET } from './target-protocol';
import { startTarget, type TargetProcess } from './target-process';

/** How late the S3 stand-in answers each request, as S3 takes its time. */
const S3_DELAY_MS = 20;
/**
 * The checks' floor: four round trips one after the other (the challenge file beside the
 * bucket's region, the listing, the write, the owner's listing).
 */
export const FLOOR_MS = 4 * S3_DELAY_MS;
/** The most a click may take at the p99, as a multiple of the floor: alone, and in a burst. */
export const ALONE_P99_FLOORS = 1.5;
export const BURST_P99_FLOORS = 3;
/** Clicks timed per burst size, at least (a burst is never cut short). */
const CLICKS_PER_SIZE = 200;
const WARMUP_CLICKS = 20;
/**
 * Untimed bursts of the largest size first: V8 optimizes a burst's paths over its first few
 * bursts (a fresh app's CPU per click fell from 3.9 to 2.2 ms over its first four bursts of 50),
 * and a replica that has served for a while is what a team meets.
 */
const WARMUP_BURSTS = 3;
const DRAIN_TIMEOUT_MS = 60_000;
const POST_TIMEOUT_MS = 30_000;

/** What clicks of one burst size measured, each from its signed POST to its team-visible post. */
export interface BurstFigure {
  /** Clicks sent at once in each burst. */
  readonly atOnce: number;
  readonly clicks: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** The app's CPU per click, from the click to the end of its work (save, replies) included. */
  readonly cpuMsPerClick: number;
  /** This process's CPU per click (the clicks, the S3 and Slack stand-ins): it shares the machine. */
  readonly standInCpuMsPerClick: number;
  /** Clicks whose destination was not saved: a check that did not pass. */
  readonly unsaved: number;
}

export interface CheckAndSaveFigure {
  readonly bursts: readonly BurstFigure[];
  readonly floorMs: number;
}

/** One prepared session per click: its own bucket and channel, its post told apart by channel. */
function prepareSessions(count: number, bucketTag: string): SetupSession[] {
  return Array.from({ length: count }, (_, index) => ({
    id: randomUUID(),
    teamId: DEFAULT_ACTOR.teamId,
    userId: DEFAULT_ACTOR.userId,
    channelId: `C0CLICK${index}`,
    settings: benchSettings(`${bucketTag}-click-${index}`),
    challengeKey: newChallengeKey(),
    createdAt: new Date().toISOString(),
  }));
}

/** Who waits for the post in which channel: told by the Slack stand-in as each post arrives. */
type PostWaits = Map<string, () => void>;

/** Clicks Check and Save on sessions and times each until its channel post reaches Slack. */
class Clicker {
  /** Kept-alive connections to the app, as Slack keeps them. */
  private readonly agent = new Agent({ keepAlive: true });

  constructor(
    private readonly target: TargetProcess,
    private readonly slack: SlackPosts,
    private readonly posted: PostWaits,
  ) {}

  /** Milliseconds from the signed block_actions POST to the result's chat.postMessage. */
  async click(session: SetupSession): Promise<number> {
    const body = interactionBody(
      blockActionPayload(
        { ...DEFAULT_ACTOR, channelId: session.channelId },
        buttonAction(ACTION.checkAndSave, session.id),
        { responseUrl: this.slack.responseUrl(`click-${session.id}`) },
      ),
    );
    let timer: NodeJS.Timeout | undefined;
    const posted = new Promise<number>((resolve, reject) => {
      this.posted.set(session.channelId, () => resolve(performance.now()));
      timer = setTimeout(() => reject(new Error('no channel post in time')), POST_TIMEOUT_MS);
    });
    const started = performance.now();
    await this.post(body);
    try {
      return (await posted) - started;
    } finally {
      clearTimeout(timer);
    }
  }

  /** One signed POST to the app, resolved once its answer (the ack) has been read. */
  private post(body: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        this.target.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
            ...slackSignatureHeaders(body, SIGNING_SECRET),
          },
        },
        (response) => response.resume().on('end', resolve).on('error', reject),
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }

  /** `atOnce` clicks together, then the app's work after them (the saves, the replies). */
  async burst(sessions: readonly SetupSession[]): Promise<number[]> {
    const times = await Promise.all(sessions.map((session) => this.click(session)));
    const { drained } = await this.target.drain(DRAIN_TIMEOUT_MS);
    if (!drained) throw new Error('Check and Save clicks were still running after 60 s');
    return times;
  }
}

/**
 * Check and Save as the person who clicks it waits for it: the real app in its own process
 * (Redis stores, LOG_LEVEL=info, the monitor on), an S3 stand-in that passes every check and
 * answers each request 20 ms late, and the lightest Slack stand-in. For each size in `sizes`, bursts of
 * that many clicks at once, each on a prepared session of its own bucket, timed from the signed
 * POST to the team-visible post; the app's CPU per click beside.
 */
export async function measureCheckAndSave(
  env: BenchEnvironment,
  sizes: readonly number[],
  progress: (line: string) => void,
  execArgv: readonly string[] = [],
): Promise<CheckAndSaveFigure> {
  const s3 = await startS3StandIn(S3_DELAY_MS);
  const waits: PostWaits = new Map();
  const slack = await startSlackPosts((channel) => {
    waits.get(channel)?.();
    waits.delete(channel);
  });
  let target: TargetProcess | undefined;
  let clicker: Clicker | undefined;
  try {
    target = await startTarget(
      {
        kind: 'app',
        redisUrl: env.redisUrl,
        keyPrefix: env.keyPrefix,
        s3Endpoint: s3.endpoint,
        slackApiUrl: slack.apiUrl,
        logLevel: 'info',
      },
      { execArgv },
    );
    const rounds = sizes.map((atOnce) => ({
      atOnce,
      bursts: Math.ceil(CLICKS_PER_SIZE / atOnce),
    }));
    const largest = Math.max(...sizes);
    const warmup = WARMUP_CLICKS + WARMUP_BURSTS * largest;
    const total = warmup + rounds.reduce((sum, r) => sum + r.atOnce * r.bursts, 0);
    const sessions = prepareSessions(total, `${env.bucketTag}-cs`);
    await forEachConcurrently(sessions, 16, (session) => env.stores.sessions.put(session));
    clicker = new Clicker(target, slack, waits);
    const take = (count: number) => sessions.splice(0, count);
    progress(`check and save: warming up with ${warmup} clicks, S3 answering 20 ms late`);
    for (let click = 0; click < WARMUP_CLICKS; click += 1) await clicker.burst(take(1));
    for (let burst = 0; burst < WARMUP_BURSTS; burst += 1) await clicker.burst(take(largest));
    const bursts: BurstFigure[] = [];
    for (const { atOnce, bursts: count } of rounds) {
      progress(`check and save: ${count} burst(s) of ${atOnce} click(s) at once`);
      bursts.push(await timeBursts(env, target, clicker, atOnce, count, take));
    }
    return { bursts, floorMs: FLOOR_MS };
  } finally {
    clicker?.close();
    await target?.stop();
    await slack.close();
    await s3.stop();
  }
}

async function timeBursts(
  env: BenchEnvironment,
  target: TargetProcess,
  clicker: Clicker,
  atOnce: number,
  count: number,
  take: (count: number) => SetupSession[],
): Promise<BurstFigure> {
  const times: number[] = [];
  const clicked: SetupSession[] = [];
  const before = await target.usage();
  const standInBefore = process.cpuUsage();
  for (let burst = 0; burst < count; burst += 1) {
    const sessions = take(atOnce);
    clicked.push(...sessions);
    times.push(...(await clicker.burst(sessions)));
  }
  const standIn = process.cpuUsage(standInBefore);
  const after = await target.usage();
  const saved = await Promise.all(
    clicked.map((s) => env.stores.destinations.get(s.teamId, s.settings.bucket)),
  );
  return {
    atOnce,
    clicks: times.length,
    p50Ms: percentile(times, 0.5),
    p99Ms: percentile(times, 0.99),
    maxMs: Math.max(...times),
    cpuMsPerClick: (after.cpuMicros - before.cpuMicros) / 1000 / times.length,
    standInCpuMsPerClick: (standIn.user + standIn.system) / 1000 / times.length,
    unsaved: saved.filter((destination) => destination === undefined).length,
  };
}

const ms = (value: number) => `${value.toFixed(0)} ms`;

/** The p99 a burst of this size may take. */
function p99Target(atOnce: number): number {
  return (atOnce === 1 ? ALONE_P99_FLOORS : BURST_P99_FLOORS) * FLOOR_MS;
}

export function checkAndSaveLines(figure: CheckAndSaveFigure): string[] {
  const lines = [
    'Check and Save, from the signed click to the team-visible post (chat.postMessage at the Slack',
    `  stand-in); the app in its own process, S3 answering every request ${S3_DELAY_MS} ms late; floor ${ms(figure.floorMs)}`,
    '  (four round trips one after the other); each click on its own session and bucket',
  ];
  for (const burst of figure.bursts) {
    const ratio = (burst.p99Ms / figure.floorMs).toFixed(2);
    lines.push(
      `  ${String(burst.atOnce).padStart(3)} at once, ${burst.clicks} clicks: p50 ${ms(burst.p50Ms)}, p99 ${ms(burst.p99Ms)}, ` +
        `max ${ms(burst.maxMs)}; p99 ${ratio}× the floor; CPU ${burst.cpuMsPerClick.toFixed(2)} ms per click ` +
        `(stand-ins and clicks ${burst.standInCpuMsPerClick.toFixed(2)} ms); ` +
        `${burst.unsaved === 0 ? 'every one saved' : `${burst.unsaved} NOT saved`}`,
    );
  }
  return lines;
}

export function checkAndSaveVerdicts(figure: CheckAndSaveFigure): Verdict[] {
  return figure.bursts.map((burst) => {
    const limit = p99Target(burst.atOnce);
    return {
      figure: `Check and Save, ${burst.atOnce === 1 ? 'one at a time' : `${burst.atOnce} at once`}, p99`,
      measured: `${ms(burst.p99Ms)} (${(burst.p99Ms / figure.floorMs).toFixed(2)}× the floor)`,
      target: `≤ ${ms(limit)} (${limit / figure.floorMs}×)`,
      met: burst.p99Ms <= limit && burst.unsaved === 0,
    };
  });
}
