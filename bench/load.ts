import autocannon from 'autocannon';
import { slackSignatureHeaders } from '../test/support/slack-signer';
import { SIGNING_SECRET } from './target-protocol';

/** What one timed run measured at the load generator. */
export interface LoadResult {
  readonly durationSeconds: number;
  /** Responses per second, over the run. */
  readonly requestsPerSecond: number;
  /** Milliseconds from sending a request to its whole response. */
  readonly p50: number;
  readonly p99: number;
  readonly completed: number;
  /** Connection errors, timeouts and non-2xx answers. */
  readonly failed: number;
  /** Requests sent after `nextBody` ran out (the run stops as soon as it does). */
  readonly overrun: number;
}

export interface LoadOptions {
  readonly connections: number;
  readonly durationSeconds: number;
}

/**
 * POSTs signed Slack requests to `url` from `connections` connections for `durationSeconds`.
 * Every request gets its own body from `nextBody` and its own signature over the current timestamp,
 * as Slack sends them; when `nextBody` runs out the run ends early.
 */
export async function runLoad(
  url: string,
  nextBody: () => string | undefined,
  options: LoadOptions,
): Promise<LoadResult> {
  let overrun = 0;
  let last = '';
  const sign = (request: autocannon.Request): autocannon.Request => {
    const body = nextBody();
    if (body === undefined) {
      overrun += 1;
      // Deferred: autocannon builds the first requests before `instance` exists.
      if (overrun === 1) setImmediate(() => instance.stop());
    } else {
      last = body;
    }
    return {
      ...request,
      body: body ?? last,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...slackSignatureHeaders(body ?? last, SIGNING_SECRET),
      },
    };
  };
  const instance = autocannon({
    url,
    method: 'POST',
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 10,
    requests: [{ method: 'POST', setupRequest: sign }],
  });
  const result = await instance;
  const completed = result.latency.totalCount;
  return {
    durationSeconds: result.duration,
    requestsPerSecond: completed / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    completed,
    failed: result.errors + result.non2xx,
    overrun,
  };
}
