import type { Deps } from '../../../deps-types';
import { accessOf } from '../../../domain/access';
import { buildBucketPolicy } from '../../../domain/bucket-policy';
import { PARTITION_NAMES, partitionForRegion } from '../../../domain/partition';
import { principalForRegion } from '../../../domain/principal';
import type { SetupSession } from '../../../store/types';
import { COMMAND } from '../../ids';
import { describeFailure } from '../../user-errors';
import { buildPolicyMessage } from '../../views/bucket-policy';
import { buildRolePolicyMessage } from '../../views/role-steps';
import { inlineCode } from '../../views/mrkdwn';
import type { CommandArgs } from '../../command-args';
import { guardCommand } from '../../command-guard';

/** The caller's setup of `bucket` that is still open (not expired, not saved), if any. */
async function openSetupOf(
  deps: Deps,
  teamId: string,
  userId: string,
  bucket: string,
): Promise<SetupSession | undefined> {
  const sessionId = await deps.sessionIndex.latest(teamId, userId, bucket);
  if (sessionId === undefined) return undefined;
  const session = await deps.stores.sessions.get(teamId, sessionId);
  const open = session?.userId === userId && session.settings.bucket === bucket && !session.savedAt;
  return open ? session : undefined;
}

/**
 * `/s3-destination policy <bucket>`: the bucket policy again, to the caller only, for the caller's
 * open setup of that bucket or else the workspace's saved destination. It is not a secret; the
 * challenge name is, and is never shown here.
 */
export async function policy(deps: Deps, args: CommandArgs, bucket: string): Promise<void> {
  const { command, ack, respond, log } = args;
  if (!(await guardCommand(deps, args, { bucket }))) return;
  await ack();
  const say = (text: string) => respond({ response_type: 'ephemeral', text });
  try {
    const teamId = command.team_id;
    // A setup in progress comes first: its region is the one the user is about to connect.
    const session = await openSetupOf(deps, teamId, command.user_id, bucket);
    const saved = session ? undefined : await deps.stores.destinations.get(teamId, bucket);
    const settings = session?.settings ?? saved?.settings;
    const region = settings?.region;
    if (settings === undefined || region === undefined) {
      await say(
        `No saved destination and no setup of yours is called ${inlineCode(bucket)} in this workspace. See \`${COMMAND} list\`, or run \`${COMMAND} setup\` to connect it.`,
      );
      return;
    }
    const principalArn = principalForRegion(deps.settings, region);
    if (principalArn === undefined) {
      const partition = PARTITION_NAMES[partitionForRegion(region)];
      await say(
        `This bot no longer serves ${partition} regions, so it has no bucket policy for ${inlineCode(bucket)}. Ask whoever runs the bot.`,
      );
      return;
    }
    const access = accessOf(settings);
    if (access.type === 'iam_role') {
      // The ExternalId goes only to whoever set the destination up, as in the setup message.
      const showExternalId = session !== undefined || saved?.connectedBy === command.user_id;
      await respond({
        response_type: 'ephemeral',
        ...buildRolePolicyMessage({
          bucket,
          region,
          principalArn,
          access,
          showExternalId,
          source: session ? 'session' : 'destination',
        }),
      });
      return;
    }
    await respond({
      response_type: 'ephemeral',
      ...buildPolicyMessage({
        bucket,
        region,
        policy: buildBucketPolicy(bucket, region, principalArn),
        source: session ? 'session' : 'destination',
      }),
    });
  } catch (error) {
    log.error({ err: error }, 'policy lookup failed');
    await say(describeFailure(error, '')).catch(() => undefined);
  }
}
