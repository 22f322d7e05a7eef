import type { types } from '@slack/bolt';
import type { SavedDestination } from '../../store/types';
import type { CheckResult, VerificationReport } from '../../verify/report';
import { CHECK_LABELS, summarizeReport } from '../../verify/summary';
import { COMMAND } from '../ids';
import { IDENTITY_NOT_PROVEN, settingsFields } from './check-result';
import { escapeText, inlineCode } from './mrkdwn';
import type { SlackMessage } from './types';

/** Slack's limit on a section's text. */
export const MAX_SECTION_TEXT = 3000;

function clip(text: string): string {
  return text.length > MAX_SECTION_TEXT ? `${text.slice(0, MAX_SECTION_TEXT - 1)}…` : text;
}

function section(text: string): types.KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text) } };
}

function failedCheck(result: CheckResult): types.KnownBlock {
  return section(`:x: *${CHECK_LABELS[result.check]}*: ${result.text}`);
}

/**
 * The monitor's alert for a destination that was passing and now fails: the destination and each
 * failed check with its fix. Holds neither the challenge name nor the bucket policy.
 */
export function buildMonitorAlert(
  destination: SavedDestination,
  report: VerificationReport,
  identityProven: boolean,
): SlackMessage {
  const { bucket } = destination.settings;
  const failed = report.checks.filter((check) => check.status === 'failed');
  return {
    text: `S3 destination ${escapeText(bucket)} stopped passing its checks: ${summarizeReport(report)}`,
    blocks: [
      section(
        `:rotating_light: The S3 destination ${inlineCode(bucket)} stopped passing its checks. ` +
          'Loads into it may fail until it is fixed.',
      ),
      { type: 'section', fields: settingsFields(destination.settings) },
      ...failed.map(failedCheck),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text:
              `Connected by <@${destination.connectedBy}>. Fix the bucket, then run ` +
              `${inlineCode(`${COMMAND} verify ${bucket}`)}. This channel is told when it passes again.` +
              (identityProven ? '' : `\n${IDENTITY_NOT_PROVEN}`),
          },
        ],
      },
    ],
  };
}

const UNPOSTABLE_REASONS: Readonly<Record<string, string>> = {
  not_in_channel: 'the bot is not a member of it',
  channel_not_found: 'it is private without the bot, or it was deleted',
  is_archived: 'it is archived',
  missing_scope: 'the bot lacks the permission to post there',
};

/**
 * Sent to the person who connected a destination when its channel cannot be posted to: why, what
 * to do, and the message the channel missed.
 */
export function buildUnreachableChannelNotice(
  destination: SavedDestination,
  slackError: string,
  missed: SlackMessage,
): SlackMessage {
  const reason = UNPOSTABLE_REASONS[slackError] ?? `Slack answered ${slackError}`;
  const intro =
    `:mailbox_with_no_mail: You connected the S3 destination ${inlineCode(destination.settings.bucket)}, ` +
    `but the bot cannot post in <#${destination.channelId}> (${reason}), so you are told here instead. ` +
    'Invite the bot to the channel (or run setup again from a channel it can post in); until then, changes come to you directly.';
  return {
    text: `Could not post in the channel: ${missed.text}`,
    blocks: [section(intro), ...(missed.blocks ?? []).slice(0, MAX_FORWARDED_BLOCKS)],
  };
}

/** Slack allows 50 blocks in a message; an alert has far fewer, but never forward more. */
const MAX_FORWARDED_BLOCKS = 40;

/** The monitor's notice that a destination it alerted about passes every check again. */
export function buildRecoveryNotice(destination: SavedDestination): SlackMessage {
  const { bucket } = destination.settings;
  return {
    text: `S3 destination ${escapeText(bucket)} passes its checks again`,
    blocks: [
      section(
        `:white_check_mark: The S3 destination ${inlineCode(bucket)} passes all its checks again.`,
      ),
      { type: 'section', fields: settingsFields(destination.settings) },
    ],
  };
}
