import type { types } from '@slack/bolt';
import { describeFormat, type DestinationSettings } from '../../domain/destination';
import { regionLabel } from '../../domain/regions';
import type { CheckResult, VerificationReport } from '../../verify/report';
import { CHECK_LABELS, summarizeReport } from '../../verify/summary';
import { escapeText, inlineCode } from './mrkdwn';
import type { SlackMessage } from './setup-instructions';

function checkLine(result: CheckResult): string {
  const icon =
    result.outcome === 'skipped'
      ? ':heavy_minus_sign:'
      : result.passed
        ? ':white_check_mark:'
        : ':x:';
  return `${icon} *${CHECK_LABELS[result.check]}*: ${result.text}`;
}

/** The fields every team-visible message about a destination shows; user text escaped, whole. */
export function settingsFields(settings: DestinationSettings): types.MrkdwnElement[] {
  return [
    { type: 'mrkdwn', text: `*Bucket*\n${inlineCode(settings.bucket)}` },
    { type: 'mrkdwn', text: `*Region*\n${regionLabel(settings.region)}` },
    { type: 'mrkdwn', text: `*Format*\n${describeFormat(settings)}` },
    { type: 'mrkdwn', text: `*Object key*\n${inlineCode(settings.keyTemplate)}` },
  ];
}

export interface CheckResultInput {
  readonly userId: string;
  readonly settings: DestinationSettings;
  readonly report: VerificationReport;
  /** What the check was for: the first Check and Save, a manual verify, or the monitor. */
  readonly occasion: 'setup' | 'verify';
}

/**
 * The team-visible result of a check: who ran it, the destination, each check's outcome with its fix.
 * Holds neither the challenge name nor the bucket policy.
 */
export function buildCheckResult(input: CheckResultInput): SlackMessage {
  const { settings, report } = input;
  const bucket = inlineCode(settings.bucket);
  const headline = report.ok
    ? input.occasion === 'setup'
      ? `:white_check_mark: <@${input.userId}> connected ${bucket} as an S3 destination.`
      : `:white_check_mark: <@${input.userId}> verified ${bucket}: all checks passed.`
    : `:x: <@${input.userId}> ran the checks on ${bucket} and ${
        report.checks.filter((c) => !c.passed).length
      } failed.`;
  const footer = report.ok
    ? input.occasion === 'setup'
      ? 'The destination is saved. See it with `/s3-destination list`.'
      : 'Nothing to do.'
    : report.operatorFault
      ? 'At least one failure is on the bot’s side, not your bucket: ask whoever runs the bot.'
      : input.occasion === 'setup'
        ? 'Fix the bucket, then press *Check and Save* again. Nothing was saved yet.'
        : `Fix the bucket, then run ${inlineCode(`/s3-destination verify ${settings.bucket}`)}.`;
  return {
    text: report.ok
      ? `S3 destination ${escapeText(settings.bucket)}: all checks passed`
      : `S3 destination ${escapeText(settings.bucket)}: ${summarizeReport(report)}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: headline } },
      { type: 'section', fields: settingsFields(settings) },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: report.checks.map(checkLine).join('\n') },
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: footer }] },
    ],
  };
}

/** Replaces the one-time ephemeral once the destination is saved: no challenge name, no policy. */
export function buildSavedSummary(settings: DestinationSettings): SlackMessage {
  return {
    text: `${escapeText(settings.bucket)} is connected`,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text:
            `:white_check_mark: ${inlineCode(settings.bucket)} is connected and saved. ` +
            'The policy and challenge file name are no longer shown here. Keep the challenge file in the bucket: the bot keeps checking it.',
        },
      },
    ],
  };
}

/** An ephemeral notice of one line. */
export function notice(text: string): SlackMessage {
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
