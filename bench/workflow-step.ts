import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createApp } from '../src/app';
import { HomeRefresher } from '../src/slack/home/refresh';
import { createRedisClient, createRedisStores, waitForRedis } from '../src/store';
import { MemorySessionIndex } from '../src/store/session-index';
import { createS3ClientFactory } from '../src/verify/s3-clients';
import { S3Verifier } from '../src/verify/verifier';
import {
  DEFAULT_ACTOR,
  functionExecutedBody,
  slashCommandBody,
} from '../test/support/slack-payloads';
import { slackSignatureHeaders } from '../test/support/slack-signer';
import { startSlackStandIn } from '../test/support/slack-stand-in';
import type { BenchEnvironment } from './environment';
import { percentile, type Verdict } from './report';
import { startS3StandIn } from './s3-stand-in';
import { benchDeps } from './bench-deps';
import { benchDestination } from './fixtures';
import { BOT_TOKEN } from './target-protocol';

/** How late the S3 stand-in answers each request, as S3 takes its time. */
const S3_DELAY_MS = 20;
const WARMUP = 10;
const SIGNING_SECRET = 'bench-step-signing-secret';
const STEP_TOKEN = 'xwfp-bench-step-token';
const BUCKET = 'bench-step-lake';
/** The most the step may add to verify's p99. */
export const STEP_OVERHEAD_P99_MS = 10;

export interface StepFigure {
  readonly runs: number;
  /** `/s3-destination verify` from the signed command to the team-visible post. */
  readonly verifyP50Ms: number;
  readonly verifyP99Ms: number;
  /** The step from the signed `function_executed` to `functions.completeSuccess` (it posts too). */
  readonly stepP50Ms: number;
  readonly stepP99Ms: number;
}

/**
 * The Workflow Builder step beside `verify`, one at a time in this process, over Redis, a Slack
 * stand-in and an S3 stand-in answering every request 20 ms late: the step posts the result in a
 * channel as verify does, then completes.
 */
export async function measureStep(
  env: BenchEnvironment,
  runs: number,
  progress: (line: string) => void,
): Promise<StepFigure> {
  const redis = createRedisClient(env.redisUrl, { keyPrefix: `${env.keyPrefix}step:` });
  await waitForRedis(redis, 5000);
  const slack = await startSlackStandIn();
  const s3 = await startS3StandIn(S3_DELAY_MS);
  const clients = createS3ClientFactory({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    timeoutMs: 5000,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const problems: string[] = [];
  const stores = createRedisStores(redis, 86400);
  const home = new HomeRefresher();
  const deps = benchDeps({
    stores,
    sessionIndex: new MemorySessionIndex(86400),
    verifier: new S3Verifier(clients, { timeoutMs: 5000 }),
    problems,
    home,
  });
  const app = createApp(deps, {
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    apiUrl: slack.apiUrl,
    botId: 'BBOT',
    botUserId: 'UBOT',
  });
  const server = (await app.start(0)) as Server;
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  const post = (body: string, type: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': type, ...slackSignatureHeaders(body, SIGNING_SECRET) },
      body,
    }).then((response) => response.text());
  /** Time from sending `body` until the stand-in has had one more call to `method`. */
  const timed = async (body: string, type: string, method: string) => {
    const seen = slack.count(method);
    const started = performance.now();
    await post(body, type);
    await slack.waitForCall(method, seen + 1);
    const elapsed = performance.now() - started;
    await deps.tasks.drain(5000);
    return elapsed;
  };
  const verify = () =>
    timed(
      slashCommandBody(`verify ${BUCKET}`, DEFAULT_ACTOR, slack.responseUrl()),
      'application/x-www-form-urlencoded',
      'chat.postMessage',
    );
  const step = () =>
    timed(
      functionExecutedBody({
        teamId: DEFAULT_ACTOR.teamId,
        inputs: { bucket: BUCKET, channel_id: 'C0BENCHSTEP' },
        botAccessToken: STEP_TOKEN,
      }),
      'application/json',
      'functions.completeSuccess',
    );
  try {
    await stores.destinations.save(benchDestination(DEFAULT_ACTOR.teamId, BUCKET));
    progress(`workflow step: ${runs} steps and ${runs} verify commands, S3 answering 20 ms late`);
    for (let run = 0; run < WARMUP; run += 1) {
      await verify();
      await step();
    }
    const verifyTimes: number[] = [];
    const stepTimes: number[] = [];
    // Taken in turns, so that whatever else the machine does weighs on both alike.
    for (let run = 0; run < runs; run += 1) {
      verifyTimes.push(await verify());
      stepTimes.push(await step());
    }
    if (problems.length > 0) progress(`workflow step logged ${problems.length}: ${problems[0]}`);
    return {
      runs,
      verifyP50Ms: percentile(verifyTimes, 0.5),
      verifyP99Ms: percentile(verifyTimes, 0.99),
      stepP50Ms: percentile(stepTimes, 0.5),
      stepP99Ms: percentile(stepTimes, 0.99),
    };
  } finally {
    await app.stop();
    home.stop();
    await deps.tasks.drain(5000);
    clients.destroy();
    await s3.stop();
    await slack.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}

export function stepLines(figure: StepFigure): string[] {
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  return [
    `Workflow Builder step "Check an S3 destination" beside verify, ${figure.runs} each, one at a time, S3 answering every request 20 ms late`,
    `  verify, signed command to the team-visible post:  p50 ${ms(figure.verifyP50Ms)}, p99 ${ms(figure.verifyP99Ms)}`,
    `  step, function_executed to completeSuccess (posting in its channel first): p50 ${ms(figure.stepP50Ms)}, p99 ${ms(figure.stepP99Ms)}`,
  ];
}

export function stepVerdicts(figure: StepFigure): Verdict[] {
  const added = figure.stepP99Ms - figure.verifyP99Ms;
  return [
    {
      figure: 'Workflow step over verify, p99',
      measured: `${added >= 0 ? '+' : ''}${added.toFixed(1)} ms (${figure.stepP99Ms.toFixed(1)} vs ${figure.verifyP99Ms.toFixed(1)} ms)`,
      target: `≤ +${STEP_OVERHEAD_P99_MS} ms`,
      met: added <= STEP_OVERHEAD_P99_MS,
    },
  ];
}
