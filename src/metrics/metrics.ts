import { performance } from 'node:perf_hooks';
import type { S3CallFailure } from '../verify/classify-s3-error';
import type { VerificationReport } from '../verify/report';

export type { S3CallFailure } from '../verify/classify-s3-error';

/** Which path ran a check of a destination: the labels' closed set. */
export type CheckSource = 'check_and_save' | 'verify' | 'monitor';
/** What a check found: passing, failing (the bucket's side), or proving nothing (S3 or the bot). */
export type CheckOutcome = 'ok' | 'failing' | 'inconclusive';
/**
 * Why a Slack Web API call failed where the operator must look: `unavailable` (no answer, a
 * timeout, HTTP 5xx) or `rate_limited` (HTTP 429).
 */
export type SlackCallFailure = 'unavailable' | 'rate_limited';

/** What an HTTP status from Slack says of Slack itself: a `200` with `ok: false` is an answer. */
export function slackCallFailure(status: number): SlackCallFailure | undefined {
  if (status === 429) return 'rate_limited';
  return status >= 500 ? 'unavailable' : undefined;
}

/**
 * What the app tells its operator, through Prometheus metrics when METRICS_PORT is set. Every
 * label comes from a closed set: never a team, a bucket or a user.
 */
export interface Metrics {
  /** A check of a destination finished after `seconds`. */
  checkFinished(source: CheckSource, outcome: CheckOutcome, seconds: number): void;
  /** A change event reached the loader's webhook `seconds` after it was recorded. */
  eventDelivered(seconds: number): void;
  /** A Slack Web API call (`chat.postMessage`, …) took `seconds`, and failed so if `failure`. */
  slackCall(method: string, seconds: number, failure?: SlackCallFailure): void;
  /** An S3 call (`HeadBucket`, …) took `seconds`, and failed so if `failure`. */
  s3Call(operation: string, seconds: number, failure?: S3CallFailure): void;
  /** The monitor's round finished `seconds` after it opened. */
  roundFinished(seconds: number): void;
}

/** Metrics nobody collects: METRICS_PORT is unset. */
export const noMetrics: Metrics = {
  checkFinished: () => undefined,
  eventDelivered: () => undefined,
  slackCall: () => undefined,
  s3Call: () => undefined,
  roundFinished: () => undefined,
};

/** The outcome label of a check's report. */
export function checkOutcome(report: VerificationReport): CheckOutcome {
  if (report.inconclusive) return 'inconclusive';
  return report.ok ? 'ok' : 'failing';
}

/** Runs a check of a destination and counts it, with its duration, under `source`. */
export async function countedCheck<T extends { readonly report: VerificationReport }>(
  metrics: Metrics,
  source: CheckSource,
  check: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const result = await check();
  metrics.checkFinished(source, checkOutcome(result.report), (performance.now() - started) / 1000);
  return result;
}
