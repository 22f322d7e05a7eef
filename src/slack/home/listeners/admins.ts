import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { Deps } from '../../../deps-types';
import { MAX_ADDED_ADMINS, userIdSchema } from '../../admins/workspace-admins';
import { audit } from '../../../destinations/audit';
import { ACTION } from '../../ids';
import { describeFailure } from '../../user-errors';
import type { BlockActionArgs } from '../../block-actions';
import { anyValue, guardClick } from '../../click-guard';
import { homeClick } from '../click';

/** The people picker's answer: every person it holds now. */
const pickedSchema = z.object({
  type: z.literal('multi_users_select'),
  selected_users: z.array(userIdSchema).max(MAX_ADDED_ADMINS),
});

/**
 * The App Home's Admins picker (OAuth mode): an admin's change is saved at once, each person
 * added or removed is audited, and the admin's view is published again.
 */
export function register(app: App, deps: Deps): void {
  app.action(ACTION.homeAdmins, async (args: BlockActionArgs) => {
    await args.ack();
    const click = homeClick(deps, args);
    const admins = deps.oauth?.admins;
    if (!click || !admins) return;
    const rule = {
      parse: anyValue,
      invalid: '',
      adminsOnly: 'Only the workspace’s S3 destination admins can choose admins.',
    };
    if (!(await guardClick(deps, args, rule, click.republish))) return;
    const picked = pickedSchema.safeParse(args.action);
    if (!picked.success) {
      await click.republish(`Choose at most ${MAX_ADDED_ADMINS} admins here.`);
      return;
    }
    let notice: string;
    try {
      const change = await admins.replace(click.teamId, picked.data.selected_users);
      const entries = [
        ...change.added.map((person) => ({ person, action: 'admin_added' as const })),
        ...change.removed.map((person) => ({ person, action: 'admin_removed' as const })),
      ];
      for (const { person, action } of entries) {
        await audit(deps, click.log, click.teamId, {
          actor: click.userId,
          action,
          bucket: '',
          outcome: person,
        });
      }
      click.log.info(
        { teamId: click.teamId, added: change.added.length, removed: change.removed.length },
        'changed the workspace’s admins',
      );
      notice = entries.length === 0 ? 'The admins are unchanged.' : 'Saved the admins.';
    } catch (error) {
      click.log.error({ err: error }, 'the admins could not be saved');
      notice = describeFailure(error, 'The admins are unchanged.');
    }
    await click.republish(notice);
  });
}
