import type { Deps } from '../deps-types';
import { bucketNameProblems } from '../domain/bucket-name';
import { adminRefusal, confirmAdmin } from './admins/rule';
import type { CommandArgs } from './command-args';
import { notABucketName } from './views/bucket-replies';

/** What a subcommand checks before it does anything. */
export interface CommandRule {
  /** Set: only the workspace's admins may run it, and others are told this. */
  readonly adminsOnly?: string;
  /** The bucket the subcommand names: it must be a bucket name. */
  readonly bucket?: string;
}

/**
 * The one preamble of the subcommands that act or name a bucket (the buttons' is guardClick): an
 * admin confirmed where the rule asks for one, then the bucket's name checked; the caller is told
 * why not in the acknowledgement, to them alone. True when the subcommand may go on (nothing was
 * acknowledged yet); false once the caller has been answered.
 */
export async function guardCommand(
  deps: Deps,
  { command, ack, client, context }: CommandArgs,
  rule: CommandRule,
): Promise<boolean> {
  if (rule.adminsOnly !== undefined) {
    const answer = await confirmAdmin(deps, {
      teamId: command.team_id,
      userId: command.user_id,
      client,
      token: context.botToken,
    });
    const refused = adminRefusal(answer, rule.adminsOnly);
    if (refused) {
      await ack({ response_type: 'ephemeral', text: refused });
      return false;
    }
  }
  if (rule.bucket !== undefined && bucketNameProblems(rule.bucket).length > 0) {
    await ack({ response_type: 'ephemeral', text: notABucketName(rule.bucket) });
    return false;
  }
  return true;
}
