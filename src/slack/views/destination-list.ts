import type { types } from '@slack/bolt';
import type { SavedDestination } from '../../store/types';
import { COMMAND } from '../ids';
import { settingsFields } from './check-result';
import { slackDate } from './mrkdwn';
import type { SlackMessage } from './setup-instructions';

/** Each destination takes three blocks; Slack allows 50 in a message. */
export const MAX_LISTED = 15;

function destinationBlocks(destination: SavedDestination): types.KnownBlock[] {
  const check = destination.lastCheck;
  const status = check.ok ? ':white_check_mark:' : ':x:';
  return [
    { type: 'divider' },
    { type: 'section', fields: settingsFields(destination.settings) },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text:
            `Connected by <@${destination.connectedBy}> · verified ${slackDate(destination.verifiedAt)} · ` +
            `last check ${status} ${check.summary}, ${slackDate(check.at)}`,
        },
      ],
    },
  ];
}

/** This workspace's saved destinations; never shows a challenge name. */
export function buildDestinationList(destinations: readonly SavedDestination[]): SlackMessage {
  if (destinations.length === 0) {
    const text = `No S3 destinations are connected in this workspace yet. Run \`${COMMAND} setup\` to connect a bucket.`;
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  const shown = destinations.slice(0, MAX_LISTED);
  const more = destinations.length - shown.length;
  const blocks: types.KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*S3 destinations in this workspace (${destinations.length})*`,
      },
    },
    ...shown.flatMap(destinationBlocks),
  ];
  if (more > 0) {
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `…and ${more} more. \`${COMMAND} verify <bucket>\` works on any of them.`,
        },
      ],
    });
  }
  return { text: `${destinations.length} S3 destinations`, blocks };
}
