import { StoreUnavailableError } from '../../errors';
import { COMMAND } from '../ids';
import { inlineCode } from './mrkdwn';

// What the Workflow Builder step "Check an S3 destination" tells a workflow: its `summary` output
// when it could check, the `error` it fails with when it could not. Read by whoever built the
// workflow, in Workflow Builder's run history and in the messages their workflow sends; every
// bucket is escaped like any user text.

/** The step was given no bucket, or something that is no bucket name. */
export function stepNotABucketName(input: string, problem: string): string {
  return input === ''
    ? 'The step needs the name of a connected S3 bucket in its Bucket input.'
    : `${inlineCode(input)} is not an S3 bucket name: ${problem}`;
}

/** The workspace has no destination of that name. */
export function stepNotConnected(bucket: string): string {
  return `No S3 destination named ${inlineCode(bucket)} is connected in this workspace: connect it with ${COMMAND} setup.`;
}

/** Every failing check was S3's or the bot's: nothing was learnt about the bucket. */
export function stepInconclusive(bucket: string, operatorFault: boolean): string {
  return operatorFault
    ? `The bot could not reach S3 to check ${inlineCode(bucket)}: the problem is on the bot's side, not the bucket's. Ask whoever runs the bot, then run the step again.`
    : `S3 did not answer properly while checking ${inlineCode(bucket)}: nothing to fix on the bucket's side. Run the step again in a minute.`;
}

/** Another check of the destination held it for longer than the step waits. */
export function stepBusy(bucket: string): string {
  return `Another check of ${inlineCode(bucket)} was still running: run the step again in a minute.`;
}

/** The destination was removed, or set up again, while the step checked it. */
export function stepOvertaken(bucket: string, by: 'removed' | 'changed'): string {
  return by === 'removed'
    ? `${inlineCode(bucket)} was removed while the step checked it, so nothing was recorded.`
    : `${inlineCode(bucket)} was set up again while the step checked it: run the step again to check the new setup.`;
}

/** Something on the bot's side failed before the checks could say anything. */
export function stepFailed(bucket: string, error: unknown): string {
  const what =
    error instanceof StoreUnavailableError
      ? "the bot's storage is not answering"
      : "something went wrong on the bot's side";
  return `Could not check ${inlineCode(bucket)}: ${what}. Run the step again in a minute.`;
}

/** The step has no workspace to look the destination up in. */
export const STEP_NO_WORKSPACE =
  'Slack did not say which workspace this workflow runs in, so the step could not look up the destination.';

const UNPOSTED: Readonly<Record<string, string>> = {
  not_in_channel: 'the app is not a member of that channel: add it there, or choose another',
  channel_not_found: 'that channel was not found',
  is_archived: 'that channel is archived',
};

/**
 * The step's summary when the result was to be posted and was not: the result still stands, and
 * the workflow's author learns why their channel did not hear it.
 */
export function withUnpostedNote(summary: string, slackError: string | undefined): string {
  const why =
    (slackError && UNPOSTED[slackError]) ??
    (slackError ? `Slack answered ${slackError}` : 'Slack could not be reached');
  return `${summary} (Not posted in the channel: ${why}.)`;
}
