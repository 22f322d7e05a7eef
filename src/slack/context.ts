import { randomUUID } from 'node:crypto';
import type { Context, Middleware, AnyMiddlewareArgs } from '@slack/bolt';
import type { Deps } from '../deps-types';
import type { Logger } from '../log/logger';

/** Tags every incoming Slack request with a request id and logs its arrival at debug level. */
export function requestIdMiddleware(deps: Deps): Middleware<AnyMiddlewareArgs> {
  return async ({ context, body, next }) => {
    const requestId = randomUUID();
    context.requestId = requestId;
    const type =
      (body as { type?: string; command?: string }).command ?? (body as { type?: string }).type;
    deps.logger.debug(
      { requestId, type, teamId: context.teamId, userId: context.userId },
      'slack request',
    );
    await next();
  };
}

/** The logger for one request: every line carries its request id. */
export function requestLogger(deps: Deps, context: Context): Logger {
  const requestId = typeof context.requestId === 'string' ? context.requestId : undefined;
  return requestId ? deps.logger.child({ requestId }) : deps.logger;
}

/** What a user who is not an admin is told when they try what only admins may do. */
export const ADMINS_ONLY =
  'Only the workspace’s S3 destination admins can save destinations: you are not one of them any more, so this setup cannot be saved. Ask an admin to run setup.';
