import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Logger } from '../log/logger';
import { postToResponseUrl, sendEphemeral } from './messaging';
import { notice } from './views/check-result';

/** Bolt's arguments for a block action (button, radio, select). */
export type BlockActionArgs = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;

/** The team of a block action: the workspace, also on Enterprise Grid where `team` may be null. */
export function actionTeamId(args: BlockActionArgs): string | undefined {
  return args.body.team?.id ?? args.body.user.team_id ?? args.context.teamId;
}

/** The `value` of the clicked button, if the action is a button. */
export function buttonValue(args: BlockActionArgs): string | undefined {
  const action = args.action as { type?: string; value?: unknown };
  return action.type === 'button' && typeof action.value === 'string' ? action.value : undefined;
}

/** Tells the person who clicked, alone: in the channel as an ephemeral, else below the message. */
export function tellClicker(
  args: BlockActionArgs,
  log: Logger,
): (text: string) => Promise<boolean> {
  const { body, client } = args;
  const channelId = body.channel?.id ?? body.container?.channel_id;
  return (text) =>
    channelId
      ? sendEphemeral(
          { client, channelId, userId: body.user.id, responseUrl: body.response_url },
          notice(text),
          log,
        )
      : postToResponseUrl(body.response_url, notice(text), 'ephemeral', log);
}
