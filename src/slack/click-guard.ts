import type { Deps } from '../deps-types';
import { adminRefusal, confirmAdmin } from './admins/rule';
import { actionTeamId, buttonValue, type BlockActionArgs } from './block-actions';

/** What a button's listener checks before it acts. */
export interface ClickRule<T> {
  /** Reads the button's `value`; undefined: the button is not valid (any more). */
  readonly parse: (value: string | undefined) => T | undefined;
  /** Told when the value does not parse or the click names no workspace. */
  readonly invalid: string;
  /** Set: only the workspace's admins may click, and others are told this. */
  readonly adminsOnly?: string;
}

/** A click that passed its rule: the workspace, who clicked, and the button's parsed value. */
export interface GuardedClick<T> {
  readonly teamId: string;
  readonly userId: string;
  readonly value: T;
}

/**
 * The one preamble of every button that acts: parse the button's value, find the workspace,
 * confirm an admin where the rule asks for one, and tell the clicker (through `tell`) why not.
 * Resolves undefined once the clicker has been told.
 */
export async function guardClick<T>(
  deps: Deps,
  args: BlockActionArgs,
  rule: ClickRule<T>,
  tell: (text: string) => Promise<unknown>,
): Promise<GuardedClick<T> | undefined> {
  const value = rule.parse(buttonValue(args));
  const teamId = actionTeamId(args);
  if (value === undefined || !teamId) {
    await tell(rule.invalid);
    return undefined;
  }
  const userId = args.body.user.id;
  if (rule.adminsOnly !== undefined) {
    const answer = await confirmAdmin(deps, {
      teamId,
      userId,
      client: args.client,
      token: args.context.botToken,
    });
    const refused = adminRefusal(answer, rule.adminsOnly);
    if (refused) {
      await tell(refused);
      return undefined;
    }
  }
  return { teamId, userId, value };
}

/** A rule's `parse` for buttons whose value does not matter. */
export const anyValue = (): true => true;
