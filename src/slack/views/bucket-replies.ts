import { COMMAND } from '../ids';
import { escapeMrkdwn, inlineCode } from './mrkdwn';

/** The answer to `verify`/`remove` given something that cannot be a bucket name. */
export function notABucketName(input: string): string {
  return `\`${escapeMrkdwn(input)}\` is not a bucket name. See \`${COMMAND} list\` for saved destinations.`;
}

/** The answer to `verify`/`remove` naming a bucket this workspace has not connected. */
export function noSuchDestination(bucket: string): string {
  return `No saved destination is called ${inlineCode(bucket)} in this workspace. See \`${COMMAND} list\`.`;
}
