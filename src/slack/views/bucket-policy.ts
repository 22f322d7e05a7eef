import type { types } from '@slack/bolt';
import {
  formatBucketPolicy,
  formatPolicyStatements,
  type BucketPolicy,
} from '../../domain/bucket-policy';
import { consoleOrigin } from '../../domain/partition';
import { regionLabel } from '../../domain/regions';
import { COMMAND } from '../ids';
import { escapeText, inlineCode } from './mrkdwn';
import type { SlackMessage } from './types';

/** The file the AWS CLI reads the policy from: `file://` works the same in every shell. */
export const POLICY_FILE = 's3-destination-policy.json';

export interface BucketPolicyStepsInput {
  readonly bucket: string;
  readonly region: string;
  readonly policy: BucketPolicy;
}

const section = (text: string): types.KnownBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text },
});

/**
 * How to add the bucket policy without wiping the one a bucket may already have: the whole policy
 * for a bucket without one, our statements alone to add to an existing `Statement` list, and the
 * AWS CLI form that reads the policy from a file. `heading` is mrkdwn, shown first.
 */
export function bucketPolicySteps(
  input: BucketPolicyStepsInput,
  heading: string,
): types.KnownBlock[] {
  // Escaped once here: every text below is mrkdwn, the code blocks included.
  const bucket = escapeText(input.bucket);
  const { region } = input;
  const console = `${consoleOrigin(region)}/s3/buckets/${bucket}?region=${region}`;
  return [
    section(
      `${heading} They let our loader list the bucket and read and write its objects, nothing more. ` +
        'They grant nothing public, so Block Public Access can stay on.\n' +
        `AWS console: *S3 → Buckets → ${bucket} → Permissions → Bucket policy → Edit* (<${console}|Open the bucket>), then:\n` +
        '• *No policy there yet:* paste the whole policy below and *Save changes*.\n' +
        '• *A policy already there* (most buckets have one): keep every statement it has, and add our two ' +
        'statements to the end of its `"Statement"` list, after a comma; then *Save changes*. ' +
        'Replacing the policy would delete the grants and denies it holds.',
    ),
    section(`The whole policy:\n\`\`\`${escapeText(formatBucketPolicy(input.policy))}\`\`\``),
    section(
      `Our two statements alone, to add to an existing \`"Statement"\` list:\n\`\`\`${escapeText(formatPolicyStatements(input.policy))}\`\`\``,
    ),
    section(
      `Or with the AWS CLI (bash, PowerShell or cmd): save the policy as \`${POLICY_FILE}\` ` +
        `(the whole policy, or the existing one with our statements added: \`aws s3api get-bucket-policy --bucket ${bucket} --region ${region} --query Policy --output text\` prints it), then run:\n` +
        `\`\`\`aws s3api put-bucket-policy --bucket ${bucket} --region ${region} --policy file://${POLICY_FILE}\`\`\``,
    ),
  ];
}

export interface PolicyMessageInput extends BucketPolicyStepsInput {
  /** Whose policy it is: a saved destination, or the caller's setup that is not saved yet. */
  readonly source: 'destination' | 'session';
}

/**
 * The answer to `policy <bucket>`, shown to the caller only: the bucket policy and how to add it.
 * Never the challenge name: that is shown once, in the setup instructions.
 */
export function buildPolicyMessage(input: PolicyMessageInput): SlackMessage {
  const bucket = inlineCode(input.bucket);
  const whose =
    input.source === 'destination'
      ? `the saved destination ${bucket}`
      : `${bucket}, from the setup you started`;
  const challenge =
    input.source === 'destination'
      ? `The challenge file name is never shown again. If it is lost, run ${inlineCode(`${COMMAND} setup`)} for ${bucket} again: the saved destination stays in force until the new setup’s *Check and Save* passes, and is then replaced.`
      : 'The challenge file name is in your setup message, shown only to you.';
  return {
    text: `The bucket policy for ${escapeText(input.bucket)}`,
    blocks: [
      section(
        `:scroll: The bucket policy for ${whose} (${regionLabel(input.region)}). Only you can see this.`,
      ),
      ...bucketPolicySteps(input, '*Add our statements to the bucket policy.*'),
      { type: 'context', elements: [{ type: 'mrkdwn', text: challenge }] },
    ],
  };
}
