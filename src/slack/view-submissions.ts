import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { Deps } from '../deps-types';
import { adminRefusal, confirmAdmin } from './admins/rule';

/** Bolt's arguments for a view submission. */
export type SubmitArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** The workspace of a view submission, also on Enterprise Grid where `team` may be null. */
export function submitTeamId({ body, context }: SubmitArgs): string | undefined {
  return body.team?.id ?? body.user.team_id ?? context.teamId;
}

/** What only the workspace's admins may submit (the setup form, its confirmation) tells others. */
const SETUP_ADMINS_ONLY = 'Only the workspace’s S3 destination admins can run setup.';

/**
 * Who submitted a setup form, confirmed an admin of its workspace; `refused` with what they are
 * told when they are not one (or the workspace is unknown, or their role could not be confirmed).
 */
export async function setupSubmitter(
  deps: Deps,
  args: SubmitArgs,
): Promise<{ teamId: string; userId: string } | { refused: string }> {
  const { body, client, context } = args;
  const userId = body.user.id;
  const teamId = submitTeamId(args);
  if (!teamId) return { refused: SETUP_ADMINS_ONLY };
  const answer = await confirmAdmin(deps, { teamId, userId, client, token: context.botToken });
  const refused = adminRefusal(answer, SETUP_ADMINS_ONLY);
  return refused ? { refused } : { teamId, userId };
}
