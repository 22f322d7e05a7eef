import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import type { Deps } from '../../deps-types';

/**
 * `admin`; `not_admin`; `unconfirmed`: Slack (or Redis) could not say, and the person is not let
 * in, only asked to try again.
 */
export type AdminAnswer = 'admin' | 'not_admin' | 'unconfirmed';

/** Who asks to do what only admins may, and the workspace's Web API client to ask Slack with. */
export interface AdminQuestion {
  readonly teamId: string | undefined;
  readonly userId: string;
  readonly client: webApi.WebClient;
  /** The workspace's bot token; the client's own when unset. */
  readonly token?: string;
}

/** What a person is told when their admin rights could not be confirmed. */
export const ADMIN_UNCONFIRMED =
  'Could not confirm you are an admin of this workspace’s S3 destinations (Slack or the store did not answer): try again in a moment.';

// Within the 3 seconds of a trigger_id, with time left to open the setup form.
const USERS_INFO_TIMEOUT_MS = 1500;

/** The part of `users.info` the rule reads. */
const usersInfoSchema = z.object({
  user: z.object({
    id: z.string(),
    team_id: z.string().optional(),
    deleted: z.boolean().optional(),
    is_owner: z.boolean().optional(),
    is_admin: z.boolean().optional(),
    is_primary_owner: z.boolean().optional(),
    enterprise_user: z
      .object({
        enterprise_id: z.string().optional(),
        is_admin: z.boolean().optional(),
        is_owner: z.boolean().optional(),
        is_primary_owner: z.boolean().optional(),
      })
      .optional(),
  }),
});

/**
 * The one rule for who may set up, Check and Save, fix a region, remove, and manage the admins.
 * One workspace (a bot token): ADMIN_USER_IDS, or everyone when it is empty. Many workspaces
 * (OAuth): the person who installed the app, the workspace's owners and admins as Slack says
 * (`users.info`, trusted for 5 minutes), and the people an admin added in the App Home. On
 * Enterprise Grid, whoever installed the app org-wide and the organization's owners and admins
 * administer every workspace of the organization; a workspace's own owners and admins, that
 * workspace only.
 */
export async function confirmAdmin(deps: Deps, question: AdminQuestion): Promise<AdminAnswer> {
  const { teamId, userId } = question;
  const oauth = deps.oauth;
  if (!oauth) {
    const listed = deps.settings.adminUserIds;
    return listed.length === 0 || listed.includes(userId) ? 'admin' : 'not_admin';
  }
  if (!teamId) return 'not_admin';
  let enterpriseId: string | undefined;
  try {
    const [added, installation] = await Promise.all([
      oauth.admins.isAdded(teamId, userId),
      oauth.installations.forTeam(teamId),
    ]);
    if (added || installation?.user?.id === userId) return 'admin';
    enterpriseId = installation?.enterprise?.id;
  } catch (error) {
    deps.logger.warn({ err: error, teamId }, 'the workspace’s admins could not be read');
    return 'unconfirmed';
  }
  const cached = oauth.admins.cachedRole(teamId, userId);
  if (cached !== undefined) return cached ? 'admin' : 'not_admin';
  const owner = await ownerOrAdmin(deps, question, enterpriseId);
  if (owner === undefined) return 'unconfirmed';
  oauth.admins.rememberRole(teamId, userId, owner);
  return owner ? 'admin' : 'not_admin';
}

/**
 * Whether Slack says the person is an owner or admin of this workspace, or of the organization the
 * app is installed in; undefined if it did not say.
 */
async function ownerOrAdmin(
  deps: Deps,
  { teamId, userId, client, token }: AdminQuestion,
  enterpriseId: string | undefined,
): Promise<boolean | undefined> {
  let reply;
  try {
    reply = usersInfoSchema.parse(
      await withTimeout(
        client.users.info({ user: userId, ...(token ? { token } : {}) }),
        USERS_INFO_TIMEOUT_MS,
      ),
    );
  } catch (error) {
    deps.logger.warn({ err: error, teamId, userId }, 'users.info failed: admin not confirmed');
    return undefined;
  }
  const { user } = reply;
  if (user.id !== userId || user.deleted) return false;
  const org = user.enterprise_user;
  // The organization's own owners and admins, of the organization the app is installed in.
  if (
    enterpriseId !== undefined &&
    org?.enterprise_id === enterpriseId &&
    (org.is_admin || org.is_owner || org.is_primary_owner)
  ) {
    return true;
  }
  // A workspace role counts in that workspace alone: an admin of another workspace (of the same
  // organization, or a shared channel's guest) is no admin here.
  if (user.team_id !== teamId) return false;
  return Boolean(user.is_owner || user.is_admin || user.is_primary_owner);
}

/** What to tell someone refused: `notAdmin` when they are not an admin, undefined when they are. */
export function adminRefusal(answer: AdminAnswer, notAdmin: string): string | undefined {
  if (answer === 'admin') return undefined;
  return answer === 'unconfirmed' ? ADMIN_UNCONFIRMED : notAdmin;
}

/** `promise`, or a rejection once `ms` have passed. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
