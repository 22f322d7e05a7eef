import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Deps } from '../../deps-types';

/** What the person hears when their workspace's installation could not be read. */
export const INSTALLATION_UNREADABLE =
  ':warning: The bot’s storage is not answering right now, so it cannot act for your workspace. Nothing was changed or lost. Try again in a minute.';

/** The events Bolt passes on without reading an installation: they carry no token by design. */
const WITHOUT_INSTALLATION = new Set(['app_uninstalled', 'tokens_revoked']);

/**
 * OAuth mode: a request whose installation could not be read (Redis is away; see
 * `Installations.boltStore`) arrives without a token. It goes no further: a slash command is
 * answered in its acknowledgement, a button through its response URL, and a modal submission is
 * left unacknowledged, so that Slack keeps the modal open with what was typed and says it could
 * not be sent.
 */
export function storeUnavailableMiddleware(deps: Deps): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const { context, body, next } = args;
    const eventType = (body as { event?: { type?: string } }).event?.type;
    if (!deps.oauth || context.botToken || (eventType && WITHOUT_INSTALLATION.has(eventType))) {
      await next();
      return;
    }
    deps.logger.warn(
      { teamId: context.teamId },
      'a request could not be served: the workspace’s installation could not be read from the store',
    );
    const type = (body as { type?: string; command?: string }).command
      ? 'command'
      : (body as { type?: string }).type;
    const ack = 'ack' in args ? (args.ack as (response?: unknown) => Promise<void>) : undefined;
    const respond =
      'respond' in args ? (args.respond as (message: unknown) => Promise<unknown>) : undefined;
    if (type === 'command') {
      await ack?.({ response_type: 'ephemeral', text: INSTALLATION_UNREADABLE });
    } else if (type === 'block_actions') {
      await ack?.();
      await respond?.({
        response_type: 'ephemeral',
        replace_original: false,
        text: INSTALLATION_UNREADABLE,
      }).catch(() => undefined);
    }
  };
}
