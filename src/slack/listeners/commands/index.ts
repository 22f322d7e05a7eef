import type {
  AllMiddlewareArgs,
  AnyMiddlewareArgs,
  App,
  SlackCommandMiddlewareArgs,
} from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { parseCommandText } from '../../command-text';
import { requestLogger } from '../../context';
import { COMMAND } from '../../ids';
import { escapeMrkdwn } from '../../views/mrkdwn';
import { buildUsage } from '../../views/usage';
import { list } from './list';
import { policy } from './policy';
import { remove } from './remove';
import { setup } from './setup';
import { verify } from './verify';

type MiddlewareArgs = AnyMiddlewareArgs & AllMiddlewareArgs;
type CommandMiddlewareArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** Whether Bolt would hand this request to `app.command(COMMAND)`. */
function isOwnCommand(args: MiddlewareArgs): args is CommandMiddlewareArgs {
  return 'command' in args && args.command?.command === COMMAND;
}

/**
 * Registers `/s3-destination` and routes its subcommands. It is answered from global middleware
 * (registered after the app's others, so they still run first), not from a listener: Bolt runs
 * every request through the middleware of every listener (one per action, view and event), copying
 * its arguments for each, which was a tenth of the setup command's CPU. The command, whose
 * trigger_id lives 3 seconds, skips them; every other request goes on to the listeners.
 */
export function register(app: App, deps: Deps): void {
  app.use(async (args) => {
    if (!isOwnCommand(args)) {
      await args.next();
      return;
    }
    await answer(deps, args);
  });
}

/** Answers one `/s3-destination`: its subcommand, or how to use it. */
async function answer(deps: Deps, args: CommandMiddlewareArgs): Promise<void> {
  const log = requestLogger(deps, args.context);
  const request = parseCommandText(args.command.text);
  // Slack always sends a response_url; without one Bolt passes no `respond`, and a later reply
  // is logged instead of failing inside the handler's own error path.
  const respond: typeof args.respond =
    args.respond ??
    (async () => {
      log.warn('a slash command without a response_url: its reply was dropped');
      return { ok: false };
    });
  const handlerArgs = { ...args, respond, log };
  switch (request.kind) {
    case 'setup':
      return setup(deps, handlerArgs);
    case 'list':
      return list(deps, handlerArgs);
    case 'verify':
      return verify(deps, handlerArgs, request.bucket);
    case 'remove':
      return remove(deps, handlerArgs, request.bucket);
    case 'policy':
      return policy(deps, handlerArgs, request.bucket);
    case 'missing_bucket':
      await args.ack({
        response_type: 'ephemeral',
        ...buildUsage(`Name the bucket: \`${COMMAND} ${request.subcommand} <bucket>\`.`),
      });
      return;
    case 'unknown':
      await args.ack({
        response_type: 'ephemeral',
        ...buildUsage(
          request.suggestion
            ? `I don't know \`${escapeMrkdwn(request.input)}\`. Did you mean \`${COMMAND} ${request.suggestion}\`?`
            : `I don't know \`${escapeMrkdwn(request.input)}\`.`,
        ),
      });
      return;
    case 'help':
      await args.ack({ response_type: 'ephemeral', ...buildUsage() });
      return;
  }
}
