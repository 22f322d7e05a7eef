import { COMMAND } from '../ids';
import type { SlackMessage } from './types';

const USAGE_LINES = [
  `\`${COMMAND} setup\`: connect an S3 bucket as a load destination (opens a form)`,
  `\`${COMMAND} list\`: show this workspace's saved destinations`,
  `\`${COMMAND} verify <bucket>\`: re-run the access checks on a saved destination`,
  `\`${COMMAND} remove <bucket>\`: remove a saved destination (asks first)`,
  `\`${COMMAND} policy <bucket>\`: show the bucket policy again, for a saved destination or your setup in progress (only to you)`,
  `\`${COMMAND} help\`: this message`,
];

/** Usage, optionally after a line saying what went wrong ("did you mean …"). */
export function buildUsage(preface?: string): SlackMessage {
  const body =
    `*Connect Amazon S3 buckets as load destinations.*\n${USAGE_LINES.map((l) => `• ${l}`).join('\n')}\n` +
    `Lost the challenge file name, or want other settings? Run \`${COMMAND} setup\` for the same bucket again: the saved destination stays in force until the new setup’s *Check and Save* passes.`;
  return {
    text: preface ? `${preface} Try ${COMMAND} help.` : `${COMMAND} usage`,
    blocks: [
      ...(preface
        ? [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: preface } }]
        : []),
      { type: 'section', text: { type: 'mrkdwn', text: body } },
    ],
  };
}
