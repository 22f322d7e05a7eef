import type { types } from '@slack/bolt';
import { describeFormat, type DestinationSettings } from '../../domain/destination';
import type { RoleAccess } from '../../domain/access';
import type { BucketPolicy } from '../../domain/bucket-policy';
import { regionLabel } from '../../domain/regions';
import { WRITE_CHECK_KEY } from '../../verify/report';
import { ACTION, COMMAND } from '../ids';
import { bucketPolicySteps } from './bucket-policy';
import { roleSteps } from './role-steps';
import { escapeText, inlineCode } from './mrkdwn';
import type { SlackMessage } from './types';

export interface SetupInstructionsInput {
  readonly sessionId: string;
  readonly settings: DestinationSettings;
  readonly challengeKey: string;
  readonly bucketPolicy: BucketPolicy;
  /** Access through a role: its steps replace the bucket policy's. */
  readonly role?: { readonly access: RoleAccess; readonly principalArn: string };
  readonly sessionTtlSeconds: number;
  /** The bucket is connected already: this setup replaces it once its Check and Save passes. */
  readonly replacing?: boolean;
}

const mrkdwn = (text: string): types.KnownBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text },
});

/** "24 hours", "90 minutes": how long a session lasts, in words. */
export function describeDuration(seconds: number): string {
  if (seconds % 3600 === 0) return seconds === 3600 ? '1 hour' : `${seconds / 3600} hours`;
  const minutes = Math.max(1, Math.round(seconds / 60));
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/**
 * The one-time ephemeral message: the bucket policy, the challenge file name, the steps and the
 * Check and Save button. This is the only place the challenge name is ever shown.
 */
export function buildSetupInstructions(input: SetupInstructionsInput): SlackMessage {
  // Escaped once here: every text below is mrkdwn, the code blocks included.
  const bucket = escapeText(input.settings.bucket);
  const { region } = input.settings;
  const replacing = input.replacing
    ? `\n:arrows_counterclockwise: ${inlineCode(input.settings.bucket)} is connected already, and stays as it is until this setup’s *Check and Save* passes; then this setup replaces it.`
    : '';
  return {
    text: `Next steps to connect ${bucket} as an S3 destination`,
    blocks: [
      {
        type: 'header',
        text: { type: 'plain_text', text: 'Connect your S3 bucket' },
      },
      mrkdwn(
        `*Bucket:* ${inlineCode(input.settings.bucket)}  *Region:* ${regionLabel(region)}  *Format:* ${describeFormat(input.settings)}\n` +
          `*Object key:* ${inlineCode(input.settings.keyTemplate)}\n` +
          ':lock: Only you can see this message, and it is shown once: keep it open until *Check and Save* passes.\n' +
          `When it checks, the bot writes an empty object named \`${WRITE_CHECK_KEY}\` at the top of the bucket, to prove it can write; you may delete it.` +
          replacing,
      ),
      ...(input.role
        ? roleSteps(
            { bucket: input.settings.bucket, region, ...input.role, showExternalId: true },
            '*1. Create the role.*',
          )
        : bucketPolicySteps(
            { bucket: input.settings.bucket, region, policy: input.bucketPolicy },
            '*1. Add our statements to the bucket policy.*',
          )),
      mrkdwn(
        `*2. Create a blank file* named exactly \`${input.challengeKey}\`, with no extension.`,
      ),
      mrkdwn(
        `*3. Upload it* to the top of the bucket: *S3 → Buckets → ${bucket} → Objects → Upload → Add files → Upload*.\n` +
          `Or with the AWS CLI (creates the empty file for you):\n\`\`\`aws s3api put-object --bucket ${bucket} --region ${region} --key ${input.challengeKey}\`\`\``,
      ),
      mrkdwn(
        '*4. Keep the file in the bucket* for as long as the destination exists: the bot checks regularly that it is still there.',
      ),
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: ACTION.checkAndSave,
            text: { type: 'plain_text', text: 'Check and Save' },
            style: 'primary',
            value: input.sessionId,
          },
        ],
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text:
              `The result is posted in this channel for your team. This setup expires in ${describeDuration(input.sessionTtlSeconds)}. ` +
              `${inlineCode(`${COMMAND} policy ${input.settings.bucket}`)} shows ${input.role ? 'the role’s policies' : 'the bucket policy'} again.`,
          },
        ],
      },
    ],
  };
}
