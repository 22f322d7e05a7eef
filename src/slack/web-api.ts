import type { webApi } from '@slack/bolt';
import { AppError } from '../errors';
import { postJson } from './http-post';

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
