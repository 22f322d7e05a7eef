import type { types } from '@slack/bolt';
import { accessOf } from '../../domain/access';
import { describeFormat, type DestinationSettings } from '../../domain/destination';
import { regionLabel } from '../../domain/regions';
import type { CheckResult, CheckStatus, VerificationReport } from '../../verify/report';
import { CHECK_LABELS, summarizeReport } from '../../verify/summary';
import { ACTION } from '../ids';
import type { RegionFix } from '../region-fix';
import { escapeText, inlineCode } from './mrkdwn';
import type { SlackMessage } from './types';

const STATUS_ICONS: Readonly<Record<CheckStatus, string>> = {
  passed: ':white_check_mark:',
  warning: ':warning:',
  skipped: ':heavy_minus_sign:',
  not_run: ':heavy_minus_sign:',
  failed: ':x:',
};

function checkLine(result: CheckResult): string {
  return `${STATUS_ICONS[result.status]} *${CHECK_LABELS[result.check]}*: ${result.text}`;
}

/** Said in every result when no STS proved at start-up that the bot is the policy's principal. */
export const IDENTITY_NOT_PROVEN =
  ':grey_question: The bot’s AWS identity was not proven (its S3 endpoint has no STS to ask), so these checks show what the bot’s credentials may do, not what the bucket policy grants.';

/** The fields every team-visible message about a destination shows; user text escaped, whole. */
export function settingsFields(settings: DestinationSettings): types.MrkdwnElement[] {
  const access = accessOf(settings);
  return [
    { type: 'mrkdwn', text: `*Bucket*\n${inlineCode(settings.bucket)}` },
    { type: 'mrkdwn', text: `*Region*\n${regionLabel(settings.region)}` },
    { type: 'mrkdwn', text: `*Format*\n${describeFormat(settings)}` },
    { type: 'mrkdwn', text: `*Object key*\n${inlineCode(settings.keyTemplate)}` },
    // The role ARN is no secret; the ExternalId never shows where the team can see it.
    ...(access.type === 'iam_role'
      ? [{ type: 'mrkdwn' as const, text: `*Access*\nIAM role ${inlineCode(access.roleArn)}` }]
      : []),
  ];
}

export interface CheckResultInput {
  /** Who ran the check; unset: a workflow (the Workflow Builder step), which has no person. */
  readonly userId?: string;
  readonly settings: DestinationSettings;
  readonly report: VerificationReport;
  /**
   * What the check was for: the first Check and Save, a Check and Save that replaced a saved
   * destination (setup run again), or a manual verify.
   */
  readonly occasion: 'setup' | 'update' | 'verify';
  /** False: say that no STS proved at start-up that the bot's identity is the principal. */
  readonly identityProven: boolean;
  /**
   * A failed setup whose only fault is the region: offer to switch the setup to the bucket's
   * region and check again, with the same challenge file.
   */
  readonly regionFix?: RegionFix;
}

function headlineOf(input: CheckResultInput, bucket: string): string {
  const { report } = input;
  const who = input.userId === undefined ? 'A workflow' : `<@${input.userId}>`;
  const warned = report.checks.some((c) => c.status === 'warning') ? ', with a warning' : '';
  if (!report.ok) {
    const failed = report.checks.filter((c) => c.status === 'failed').length;
    return report.inconclusive
      ? `:hourglass: ${who} ran the checks on ${bucket}, but S3 or the bot could not finish them.`
      : `:x: ${who} ran the checks on ${bucket} and ${failed} failed.`;
  }
  switch (input.occasion) {
    case 'setup':
      return `:white_check_mark: ${who} connected ${bucket} as an S3 destination${warned}.`;
    case 'update':
      return `:white_check_mark: ${who} set up ${bucket} again: the destination is updated${warned}.`;
    case 'verify':
      return `:white_check_mark: ${who} verified ${bucket}: all checks passed${warned}.`;
  }
}

function footerOf(input: CheckResultInput): string {
  const { report, settings } = input;
  if (report.ok) {
    return input.occasion === 'verify'
      ? 'Nothing to do.'
      : 'The destination is saved. See it with `/s3-destination list`.';
  }
  if (report.operatorFault) {
    return 'At least one failure is on the bot’s side, not your bucket: ask whoever runs the bot.';
  }
  if (report.inconclusive) return 'Nothing to fix on your side: check again in a minute.';
  if (input.regionFix) {
    return `*Use ${input.regionFix.region}* switches this setup to the bucket’s region and checks again, with the same challenge file. Nothing was saved yet.`;
  }
  return input.occasion === 'verify'
    ? `Fix the bucket, then run ${inlineCode(`/s3-destination verify ${settings.bucket}`)}.`
    : 'Fix the bucket, then press *Check and Save* again. Nothing was saved yet.';
}

/**
 * The team-visible result of a check: who ran it, the destination, each check's outcome with its fix.
 * Holds neither the challenge name nor the bucket policy.
 */
export function buildCheckResult(input: CheckResultInput): SlackMessage {
  const { settings, report } = input;
  const context = input.identityProven
    ? footerOf(input)
    : `${footerOf(input)}\n${IDENTITY_NOT_PROVEN}`;
  return {
    text: report.ok
      ? `S3 destination ${escapeText(settings.bucket)}: all checks passed`
      : `S3 destination ${escapeText(settings.bucket)}: ${summarizeReport(report)}`,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: headlineOf(input, inlineCode(settings.bucket)) },
      },
      { type: 'section', fields: settingsFields(settings) },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: report.checks.map(checkLine).join('\n') },
      },
      ...(input.regionFix && !report.ok ? [regionFixButton(input.regionFix)] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: context }] },
    ],
  };
}

/**
 * A check's result in one line of plain words, for a workflow's step outputs: "All checks passed",
 * or the first failing check with its fix, in the words of the team-visible result's check lines.
 */
export function checkSummaryLine(report: VerificationReport): string {
  if (report.ok) return summarizeReport(report);
  const [first, ...others] = report.checks.filter((check) => check.status === 'failed');
  if (!first) return summarizeReport(report);
  const also =
    others.length > 0
      ? ` Also failing: ${others.map((check) => CHECK_LABELS[check.check]).join(', ')}.`
      : '';
  return `${CHECK_LABELS[first.check]}: ${first.text.replace(/\s*\n\s*/g, ' ')}${also}`;
}

function regionFixButton(fix: RegionFix): types.KnownBlock {
  return {
    type: 'actions',
    elements: [
      {
        type: 'button',
        action_id: ACTION.useBucketRegion,
        style: 'primary',
        text: { type: 'plain_text', text: `Use ${fix.region} and check again` },
        value: JSON.stringify(fix satisfies RegionFix),
      },
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
