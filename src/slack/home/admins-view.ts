import type { types } from '@slack/bolt';
import { ACTION } from '../ids';

/** Who administers the workspace's S3 destinations (OAuth mode), as the Admins section shows it. */
export interface HomeAdmins {
  /** Who installed the app: always an admin. */
  readonly installerId?: string;
  /** The people an admin added here. */
  readonly added: readonly string[];
}

/**
 * The Admins section, shown to admins only: who is an admin by their place in the workspace, and
 * a people picker holding the ones added here (a change is saved at once, and audited).
 */
export function adminsBlocks(admins: HomeAdmins): types.KnownBlock[] {
  const installer = admins.installerId ? `<@${admins.installerId}> (who installed the app), ` : '';
  return [
    { type: 'divider' },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Admins*\nThey can set up and remove destinations: ${installer}the workspace’s owners and admins, and the people chosen here.`,
      },
      accessory: {
        type: 'multi_users_select',
        action_id: ACTION.homeAdmins,
        placeholder: { type: 'plain_text', text: 'Add admins' },
        ...(admins.added.length > 0 ? { initial_users: [...admins.added] } : {}),
      },
    },
  ];
}
