import type { types } from '@slack/bolt';
import { WORKFLOW_ACTOR, type AuditEntry } from '../../store/audit';
import type { SavedDestination } from '../../store/types';
import { ACTION, COMMAND } from '../ids';
import { settingsFields } from './check-result';
import { escapeText, inlineCode, slackDate } from './mrkdwn';
import type { SlackMessage } from './types';

/**
 * Destinations per page: each takes three blocks, and a page also holds its title, the recent
 * activity and the page buttons, within Slack's 50 blocks per message.
 */
export const MAX_LISTED = 12;

/** How many audit entries `list` ends with. */
export const RECENT_ACTIVITY = 5;

const ACTION_WORDS: Readonly<Record<AuditEntry['action'], string>> = {
  setup: 'started setup of',
  check_and_save: 'ran Check and Save on',
  verify: 'verified',
  remove: 'removed',
  monitor_alert: 'alerted about',
  monitor_recovery: 'saw recover:',
  admin_added: 'made an admin:',
  admin_removed: 'removed from the admins:',
};

/** Who did it, for the actors that are not people. */
const ACTOR_WORDS: Readonly<Record<string, string>> = {
  monitor: 'The monitor',
  // The purge of an uninstalled workspace's destinations, once the retention is over.
  uninstall: 'The bot',
  [WORKFLOW_ACTOR]: 'A workflow',
};

function statusLine(destination: SavedDestination): string {
  const check = destination.lastCheck;
  const status = check.ok ? ':white_check_mark:' : ':x:';
  const line =
    `Connected by <@${destination.connectedBy}> in <#${destination.channelId}> · verified ${slackDate(destination.verifiedAt)} · ` +
    `last check ${status} ${escapeText(check.summary)}, ${slackDate(check.at)}`;
  const unreachable = destination.channelUnreachable;
  return unreachable
    ? `${line}\n:warning: The bot cannot post in <#${destination.channelId}> (${escapeText(unreachable.error)}) since ${slackDate(unreachable.since)}: its alerts go to <@${destination.connectedBy}> directly. Invite the bot to the channel.`
    : line;
}

function destinationBlocks(destination: SavedDestination): types.KnownBlock[] {
  return [
    { type: 'divider' },
    { type: 'section', fields: settingsFields(destination.settings) },
    { type: 'context', elements: [{ type: 'mrkdwn', text: statusLine(destination) }] },
  ];
}

/** One audit entry as a line: when, who, what, which bucket, how it ended. */
export function activityLine(entry: AuditEntry): string {
  const who = ACTOR_WORDS[entry.actor] ?? `<@${entry.actor}>`;
  if (entry.action === 'admin_added' || entry.action === 'admin_removed') {
    const person = /^[UW][A-Z0-9]+$/.test(entry.outcome)
      ? `<@${entry.outcome}>`
      : escapeText(entry.outcome);
    return `${slackDate(entry.at)} · ${who} ${ACTION_WORDS[entry.action]} ${person}`;
  }
  return `${slackDate(entry.at)} · ${who} ${ACTION_WORDS[entry.action]} ${inlineCode(entry.bucket)}: ${escapeText(entry.outcome)}`;
}

/** The value of the page buttons: the page to show (0-based). */
export function pageButtonValue(page: number): string {
  return String(page);
}

function pageButtons(page: number, pages: number): types.KnownBlock[] {
  if (pages <= 1) return [];
  const button = (text: string, target: number): types.Button => ({
    type: 'button',
    action_id: ACTION.listPage,
    text: { type: 'plain_text', text },
    value: pageButtonValue(target),
  });
  const elements: types.Button[] = [];
  if (page > 0) elements.push(button('‹ Previous', page - 1));
  if (page < pages - 1) elements.push(button('Next ›', page + 1));
  return [{ type: 'actions', elements }];
}

/**
 * One page of this workspace's saved destinations, sorted by bucket, then its recent activity.
 * Never shows a challenge name.
 */
export function buildDestinationList(
  destinations: readonly SavedDestination[],
  recent: readonly AuditEntry[] = [],
  requestedPage = 0,
): SlackMessage {
  const activity: types.KnownBlock[] =
    recent.length === 0
      ? []
      : [
          { type: 'divider' },
          {
            type: 'context',
            elements: [
              {
                type: 'mrkdwn',
                text: `*Recent activity*\n${recent.slice(0, RECENT_ACTIVITY).map(activityLine).join('\n')}`,
              },
            ],
          },
        ];
  if (destinations.length === 0) {
    const text = `No S3 destinations are connected in this workspace yet. Run \`${COMMAND} setup\` to connect a bucket.`;
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }, ...activity] };
  }
  const pages = Math.ceil(destinations.length / MAX_LISTED);
  const page = Math.min(Math.max(0, requestedPage), pages - 1);
  const shown = destinations.slice(page * MAX_LISTED, (page + 1) * MAX_LISTED);
  const range =
    pages > 1
      ? ` · page ${page + 1} of ${pages}, showing ${page * MAX_LISTED + 1}–${page * MAX_LISTED + shown.length}`
      : '';
  return {
    text: `${destinations.length} S3 destinations`,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `*S3 destinations in this workspace (${destinations.length})*${range}`,
        },
      },
      ...shown.flatMap(destinationBlocks),
      ...pageButtons(page, pages),
      ...activity,
    ],
  };
}
