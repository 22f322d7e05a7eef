import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';

/** Bolt's arguments for a view submission. */
export type SubmitArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** The workspace of a view submission, also on Enterprise Grid where `team` may be null. */
export function submitTeamId({ body, context }: SubmitArgs): string | undefined {
  return body.team?.id ?? body.user.team_id ?? context.teamId;
}
