import { z } from 'zod';
import { LIST_BUCKET_SID, READ_WRITE_OBJECTS_SID } from '../../domain/bucket-policy';
import { WRITE_CHECK_KEY } from '../../verify/report';
import { ACTION } from '../ids';
import { escapeText, inlineCode } from './mrkdwn';
import type { SlackMessage } from './types';

/** The value carried by the Remove and Cancel buttons. */
export const removeButtonValueSchema = z.object({ bucket: z.string().min(3).max(63) });
export type RemoveButtonValue = z.infer<typeof removeButtonValueSchema>;

/** Reads a Remove or Cancel button's value; undefined unless it is one of ours. */
export function parseRemoveButtonValue(raw: string | undefined): RemoveButtonValue | undefined {
  try {
    const parsed = removeButtonValueSchema.safeParse(JSON.parse(raw ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Asks the caller to confirm removing a destination. */
export function buildRemoveConfirmation(bucket: string): SlackMessage {
  const value = JSON.stringify({ bucket } satisfies RemoveButtonValue);
  return {
    text: `Remove the S3 destination ${escapeText(bucket)}?`,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Remove the S3 destination ${inlineCode(bucket)}? The bot stops checking it, and it disappears from \`list\`. The bucket and its files are not touched.`,
        },
      },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: ACTION.confirmRemove,
            style: 'danger',
            text: { type: 'plain_text', text: 'Remove' },
            value,
          },
          {
            type: 'button',
            action_id: ACTION.cancelRemove,
            text: { type: 'plain_text', text: 'Cancel' },
            value,
          },
        ],
      },
    ],
  };
}

/** The team-visible notice once a destination is removed. */
export function buildRemovedNotice(userId: string, bucket: string): SlackMessage {
  const text =
    `:wastebasket: <@${userId}> removed the S3 destination ${inlineCode(bucket)}. The bot no longer checks it. ` +
    `From the bucket you may now remove our two statements of its bucket policy (\`${LIST_BUCKET_SID}\` and \`${READ_WRITE_OBJECTS_SID}\`), ` +
    `the challenge file, and \`${WRITE_CHECK_KEY}\`, the empty object the bot wrote when it checked.`;
  return {
    text: `S3 destination ${escapeText(bucket)} removed`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}
