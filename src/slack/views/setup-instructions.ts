import type { types } from '@slack/bolt';
import { describeFormat, type DestinationSettings } from '../../domain/destination';
import { consoleOrigin } from '../../domain/partition';
import { regionLabel } from '../../domain/regions';
import { ACTION } from '../ids';
import { escapeText, inlineCode } from './mrkdwn';

export interface SetupInstructionsInput {
  readonly sessionId: string;
  readonly settings: DestinationSettings;
  readonly challengeKey: string;
  /** The pretty-printed bucket policy. */
  readonly bucketPolicy: string;
  readonly sessionTtlSeconds: number;
}

export interface SlackMessage {
  readonly text: string;
  readonly blocks: types.KnownBlock[];
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
  const bucketPolicy = escapeText(input.bucketPolicy);
  const compactPolicy = escapeText(JSON.stringify(JSON.parse(input.bucketPolicy)));
  const console = `${consoleOrigin(region)}/s3/buckets/${bucket}?region=${region}`;
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
          ':lock: Only you can see this message, and it is shown once: keep it open until *Check and Save* passes.',
      ),
      mrkdwn(
        '*1. Add this bucket policy.* It grants our loader only what it needs: list the bucket, read and write its objects.\n' +
          `AWS console: *S3 → Buckets → ${bucket} → Permissions → Bucket policy → Edit*, paste, *Save changes*. (<${console}|Open the bucket>)`,
      ),
      mrkdwn(`\`\`\`${bucketPolicy}\`\`\``),
      mrkdwn(
        `Or with the AWS CLI:\n\`\`\`aws s3api put-bucket-policy --bucket ${bucket} --region ${region} --policy '${compactPolicy}'\`\`\``,
      ),
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
            text: `The result is posted in this channel for your team. This setup expires in ${describeDuration(input.sessionTtlSeconds)}.`,
          },
        ],
      },
    ],
  };
}
