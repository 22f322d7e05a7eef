import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';

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
