import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { Logger } from '../log/logger';

/** What every subcommand handler receives: Bolt's arguments plus the request's logger. */
export type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs & { log: Logger };
