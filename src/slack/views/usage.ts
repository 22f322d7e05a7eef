import { COMMAND } from '../ids';
import type { SlackMessage } from './setup-instructions';

const USAGE_LINES = [
  `\`${COMMAND} setup\`: connect an S3 bucket as a load destination (opens a form)`,
  `\`${COMMAND} list\`: show this workspace's saved destinations`,
  `\`${COMMAND} verify <bucket>\`: re-run the access checks on a saved destination`,
  `\`${COMMAND} remove <bucket>\`: remove a saved destination (asks first)`,
  `\`${COMMAND} help\`: this message`,
];

/** Usage, optionally after a line saying what went wrong ("did you mean …"). */
export function buildUsage(preface?: string): SlackMessage {
  const body = `*Connect Amazon S3 buckets as load destinations.*\n${USAGE_LINES.map((l) => `• ${l}`).join('\n')}`;
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
