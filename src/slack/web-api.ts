import type { webApi } from '@slack/bolt';
import { AppError } from '../errors';
import { slackCallFailure, type SlackCallFailure } from '../metrics/metrics';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { postJson, type PostAnswer } from './http-post';

/** Slack answered `ok: false`; `data.error` is its code, where `slackErrorCode` looks for it. */
export class SlackApiError extends AppError {
  readonly data: { readonly error: string };

  constructor(method: string, error: string) {
    super('slack_api_error', `Slack answered ${method} with ${error}`);
    this.data = { error };
  }
}

/**
 * Calls a Web API method with one JSON POST, on the Web API base and with the token Bolt gave the
 * listener, and resolves with Slack's answer. For large views only (the setup form, the App
 * Home): WebClient serialises, redacts and formats the whole body for its debug log on every call
 * at every log level, and again for the view Slack echoes back, which for the setup modal was most
 * of the command's CPU (bench/). No retry: a trigger_id lives 3 s. `body` may come as JSON
 * already, when most of it was serialised once for many calls.
 */
export async function callWebApi(
  client: webApi.WebClient,
  token: string | undefined,
  method: string,
  body: Readonly<Record<string, unknown>> | string,
  timeoutMs: number,
): Promise<Readonly<Record<string, unknown>>> {
  const json = typeof body === 'string' ? body : JSON.stringify(body);
  const answer = await postJson(`${client.slackApiUrl}${method}`, json, timeoutMs, {
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  });
  return slackReply(method, answer);
}

/** Slack's answer to a Web API call: its fields when `ok`, otherwise SlackApiError. */
function slackReply(method: string, answer: PostAnswer): Readonly<Record<string, unknown>> {
  let reply: { ok?: unknown; error?: unknown };
  try {
    reply = JSON.parse(answer.body) as typeof reply;
  } catch {
    throw new SlackApiError(method, `HTTP ${answer.status}`);
  }
  if (reply.ok !== true) {
    throw new SlackApiError(method, typeof reply.error === 'string' ? reply.error : 'an error');
  }
  return reply;
}

/** As the app's Web API clients are told (slackClientOptions): a bound on each try. */
const POST_TIMEOUT_MS = 5000;
/** …and one more try after a failed one, this much later (Slack's Retry-After for a 429). */
const RETRY_DELAY_MS = 200;

/**
 * Told how long each try of a Web API call took, by its method, and why it failed where the
 * operator must look (no answer, a 5xx, a 429), as the metrics time the clients' calls.
 */
export type SlackCallTimer = (method: string, seconds: number, failure?: SlackCallFailure) => void;

/**
 * chat.postMessage as one JSON POST on the client's Web API base, with its token: the post of
 * every check's result. WebClient costs about 0.9 ms of CPU per post for its queue, retries and
 * debug lines formatted at every log level, this 0.1 ms (bench/: a sixth of a Check and Save in a
 * burst). It is tried once more as WebClient tries with the app's options: after a dropped
 * connection or an HTTP error, 200 ms later; after a 429, once Slack's Retry-After has passed (a
 * 429 without one is not tried again). Slack's refusal (`ok: false`) is thrown at once, as
 * SlackApiError with Slack's code.
 */
export async function postChatMessage(
  client: webApi.WebClient,
  message: Readonly<Record<string, unknown>>,
  timer?: SlackCallTimer,
): Promise<Readonly<Record<string, unknown>>> {
  const method = 'chat.postMessage';
  const json = JSON.stringify(message);
  const headers = client.token ? { authorization: `Bearer ${client.token}` } : undefined;
  const send = async () => {
    const started = performance.now();
    const timed = (failure?: SlackCallFailure) =>
      timer?.(method, (performance.now() - started) / 1000, failure);
    try {
      const answer = await postJson(
        `${client.slackApiUrl}${method}`,
        json,
        POST_TIMEOUT_MS,
        headers,
      );
      timed(slackCallFailure(answer.status));
      return answer;
    } catch (error) {
      timed('unavailable');
      throw error;
    }
  };
  const first = await send().catch((error: unknown) => error as Error);
  if (!(first instanceof Error) && first.status === 200) return slackReply(method, first);
  const delayMs = first instanceof Error ? RETRY_DELAY_MS : retryDelayMs(first);
  if (delayMs === undefined) throw new SlackApiError(method, 'ratelimited');
  await sleep(delayMs);
  const second = await send();
  if (second.status !== 200) throw new SlackApiError(method, `HTTP ${second.status}`);
  return slackReply(method, second);
}

/** After an HTTP error: 200 ms; after a 429, Slack's Retry-After, or undefined without one. */
function retryDelayMs(answer: PostAnswer): number | undefined {
  if (answer.status !== 429) return RETRY_DELAY_MS;
  const seconds = Number(answer.headers['retry-after']);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
