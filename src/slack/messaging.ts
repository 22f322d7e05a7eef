import type { webApi } from '@slack/bolt';
import type { Logger } from '../log/logger';
import type { Metrics } from '../metrics/metrics';
import { postJson } from './http-post';
import { postChatMessage } from './web-api';
import type { SlackMessage } from './views/types';

const RESPONSE_URL_TIMEOUT_MS = 3000;

export type ResponseUrlMode = 'ephemeral' | 'in_channel' | 'replace';

/** Posts to a response_url; true when Slack took it. Never throws. */
export async function postToResponseUrl(
  responseUrl: string | undefined,
  message: SlackMessage,
  mode: ResponseUrlMode,
  logger: Logger,
): Promise<boolean> {
  if (!responseUrl) return false;
  const body =
    mode === 'replace'
      ? { replace_original: true, ...message }
      : { response_type: mode, replace_original: false, ...message };
  try {
    const { status } = await postJson(responseUrl, JSON.stringify(body), RESPONSE_URL_TIMEOUT_MS);
    const ok = status >= 200 && status < 300;
    if (!ok) logger.warn({ status, mode }, 'response_url refused the message');
    return ok;
  } catch (error) {
    logger.warn({ err: error, mode }, 'response_url could not be reached');
    return false;
  }
}

/** The Slack error code of a Web API platform error (`not_in_channel`, …), if that is what it is. */
export function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

export interface EphemeralTarget {
  readonly client: webApi.WebClient;
  readonly channelId: string;
  readonly userId: string;
  readonly responseUrl?: string;
}

/** Shows `message` to one user: through the response_url, else chat.postEphemeral. */
export async function sendEphemeral(
  target: EphemeralTarget,
  message: SlackMessage,
  logger: Logger,
): Promise<boolean> {
  if (await postToResponseUrl(target.responseUrl, message, 'ephemeral', logger)) return true;
  try {
    await target.client.chat.postEphemeral({
      channel: target.channelId,
      user: target.userId,
      text: message.text,
      blocks: message.blocks,
    });
    return true;
  } catch (error) {
    logger.error(
      { err: error, slackError: slackErrorCode(error) },
      'could not send an ephemeral message',
    );
    return false;
  }
}

const CHANNEL_UNREACHABLE = new Set(['not_in_channel', 'channel_not_found']);

export interface ChannelPost {
  readonly posted: boolean;
  /** Slack's error code when the post was refused (`not_in_channel`, `is_archived`, …). */
  readonly slackError?: string;
}

/** Where a message for the whole team goes, and what times the post. */
export interface ChannelTarget {
  readonly client: webApi.WebClient;
  readonly channelId: string;
  readonly responseUrl?: string;
  /** Times the chat.postMessage call, as the app's Web API clients time theirs. */
  readonly metrics?: Pick<Metrics, 'slackCall'>;
}

/**
 * Posts `message` in the channel for the whole team: chat.postMessage, or, where the bot is not a
 * member, the response_url with `in_channel`. Says why when it could not.
 */
export async function tryPostInChannel(
  target: ChannelTarget,
  message: SlackMessage,
  logger: Logger,
): Promise<ChannelPost> {
  const { metrics } = target;
  try {
    await postChatMessage(
      target.client,
      {
        channel: target.channelId,
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
      },
      metrics && ((method, seconds, failure) => metrics.slackCall(method, seconds, failure)),
    );
    return { posted: true };
  } catch (error) {
    const code = slackErrorCode(error);
    if (code && CHANNEL_UNREACHABLE.has(code) && target.responseUrl) {
      const posted = await postToResponseUrl(target.responseUrl, message, 'in_channel', logger);
      return posted ? { posted } : { posted, slackError: code };
    }
    logger.error({ err: error, slackError: code }, 'could not post in the channel');
    return { posted: false, ...(code ? { slackError: code } : {}) };
  }
}

/** tryPostInChannel, when only whether it was posted matters. */
export async function postInChannel(
  target: ChannelTarget,
  message: SlackMessage,
  logger: Logger,
): Promise<boolean> {
  return (await tryPostInChannel(target, message, logger)).posted;
}
