import { buildBucketPolicy } from '../../../../src/domain/bucket-policy';
import type { DestinationSettings } from '../../../../src/domain/destination';
import type { SavedDestination } from '../../../../src/store/types';
import {
  assembleReport,
  checkResult,
  type VerificationReport,
} from '../../../../src/verify/report';
import { buildCheckResult, buildSavedSummary } from '../../../../src/slack/views/check-result';
import { MAX_LISTED, buildDestinationList } from '../../../../src/slack/views/destination-list';
import {
  buildRemoveConfirmation,
  buildRemovedNotice,
} from '../../../../src/slack/views/remove-confirmation';
import {
  buildSetupInstructions,
  describeDuration,
} from '../../../../src/slack/views/setup-instructions';
import { buildUsage } from '../../../../src/slack/views/usage';
import { blockKitViolations } from '../../../support/block-kit-limits';
import { visibleText } from '../../../support/message-text';
import { destinationSettings } from '../../../support/fixtures';

const CHALLENGE = 's3-destination-challenge-file-0f8fad5b-d9cb-469f-a165-70867728950e';
const settings: DestinationSettings = destinationSettings({
  bucket: 'acme-data-lake',
  region: 'eu-west-1',
  format: 'csv',
  csvDelimiter: 'pipe',
  csvForceQuote: true,
});
const policy = buildBucketPolicy(
  'acme-data-lake',
  'eu-west-1',
  'arn:aws:iam::123456789012:role/s3-destination-loader',
);

const passing: VerificationReport = assembleReport(
  [
    checkResult('challenge', 'ok', 'Found.'),
    checkResult('list', 'ok', 'Listed.'),
    checkResult('write', 'ok', 'Wrote.'),
    checkResult('region', 'skipped', 'Skipped: no region reported.'),
  ],
  { regionChecked: true },
);
const failing: VerificationReport = assembleReport(
  [
    checkResult(
      'challenge',
      'not_found',
      'An error occurred (404) when calling the HeadObject operation: Not Found. Upload the file.',
    ),
    ...passing.checks.slice(1),
  ],
  { regionChecked: true },
);

function saved(bucket: string): SavedDestination {
  return {
    teamId: 'T0',
    settings: { ...settings, bucket },
    challengeKey: CHALLENGE,
    channelId: 'C0',
    connectedBy: 'U0ALICE',
    version: 1,
    verifiedAt: '2026-11-25T08:00:00.000Z',
    lastCheck: { at: '2026-11-25T09:00:00.000Z', ok: true, summary: 'All checks passed' },
  };
}

describe('the one-time setup instructions', () => {
  const message = buildSetupInstructions({
    sessionId: '7d444840-9dc0-11d1-b245-5ffdce74fad2',
    settings,
    challengeKey: CHALLENGE,
    bucketPolicy: policy,
    sessionTtlSeconds: 86400,
  });
  const json = JSON.stringify(message.blocks);

  it('holds the policy, the challenge name, both CLI one-liners and the console paths', () => {
    expect(json).toContain('2012-10-17');
    expect(json).toContain(CHALLENGE);
    expect(json).toContain(
      'aws s3api put-bucket-policy --bucket acme-data-lake --region eu-west-1',
    );
    expect(json).toContain(
      `aws s3api put-object --bucket acme-data-lake --region eu-west-1 --key ${CHALLENGE}`,
    );
    expect(json).toContain('Permissions → Bucket policy');
    expect(json).toContain('no extension');
  });

  it('carries the session id on the Check and Save button', () => {
    const button = (message.blocks as { elements?: { action_id?: string; value?: string }[] }[])
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'check_and_save');

    expect(button?.value).toBe('7d444840-9dc0-11d1-b245-5ffdce74fad2');
  });

  it('keeps the challenge out of the notification text and within Slack’s limits', () => {
    expect(message.text).not.toContain(CHALLENGE);
    expect(blockKitViolations(message, 'message')).toEqual([]);
  });

  it.each([
    ['eu-west-1', 'https://console.aws.amazon.com/s3/buckets/acme-data-lake?region=eu-west-1'],
    ['cn-north-1', 'https://console.amazonaws.cn/s3/buckets/acme-data-lake?region=cn-north-1'],
    [
      'us-gov-west-1',
      'https://console.amazonaws-us-gov.com/s3/buckets/acme-data-lake?region=us-gov-west-1',
    ],
  ])('links a bucket in %s to its partition’s console', (region, link) => {
    const instructions = buildSetupInstructions({
      sessionId: '7d444840-9dc0-11d1-b245-5ffdce74fad2',
      settings: { ...settings, region },
      challengeKey: CHALLENGE,
      bucketPolicy: policy,
      sessionTtlSeconds: 86400,
    });

    expect(JSON.stringify(instructions.blocks)).toContain(`<${link}|Open the bucket>`);
  });

  it.each([
    [86400, '24 hours'],
    [3600, '1 hour'],
    [1800, '30 minutes'],
    [60, '1 minute'],
  ])('says a %i-second session lasts %s', (seconds, words) => {
    expect(describeDuration(seconds)).toBe(words);
  });
});

describe('the team-visible check result', () => {
  it.each([
    ['a passing first setup', passing, 'setup', /connected `acme-data-lake`/],
    ['a failing check', failing, 'setup', /1 failed/],
    ['a passing verify', passing, 'verify', /verified `acme-data-lake`/],
  ] as const)('reports %s with who, where and each check', (_name, report, occasion, headline) => {
    const message = buildCheckResult({
      userId: 'U0ALICE',
      settings,
      report,
      occasion,
      identityProven: true,
    });
    const json = JSON.stringify(message.blocks);

    expect(json).toMatch(headline);
    expect(json).toContain('<@U0ALICE>');
    expect(json).toContain('Europe (Ireland)');
    expect(json).toContain('CSV, pipe-delimited, all elements quoted');
    for (const check of report.checks) expect(json).toContain(check.text);
    expect(json).not.toContain(CHALLENGE);
    expect(json).not.toContain('2012-10-17');
    expect(blockKitViolations(message, 'message')).toEqual([]);
  });

  it('says when a failure is on the bot’s side', () => {
    const message = buildCheckResult({
      userId: 'U0',
      settings,
      report: { ...failing, operatorFault: true },
      occasion: 'verify',
      identityProven: true,
    });

    expect(JSON.stringify(message.blocks)).toContain('bot’s side');
  });

  it('replaces the instructions with a summary that shows no secret', () => {
    const json = JSON.stringify(buildSavedSummary(settings));

    expect(json).toContain('acme-data-lake');
    expect(json).not.toContain(CHALLENGE);
  });
});

describe('the destination list', () => {
  it('has a helpful empty state', () => {
    expect(JSON.stringify(buildDestinationList([]))).toContain('/s3-destination setup');
  });

  it('shows each destination’s settings, who connected it and its last check, never a challenge', () => {
    const json = JSON.stringify(buildDestinationList([saved('a-bucket'), saved('b-bucket')]));

    expect(json).toContain('a-bucket');
    expect(json).toContain('b-bucket');
    expect(json).toContain('<@U0ALICE>');
    expect(json).toContain('All checks passed');
    expect(json).toContain('CSV, pipe-delimited, all elements quoted');
    expect(json).not.toContain(CHALLENGE);
  });

  it.each([0, 1, 40, 500])(
    'pages %i destinations within Slack message limits, every one on some page',
    (count) => {
      const many = Array.from({ length: count }, (_, i) => saved(`bucket-${i}`));
      const pages = Math.max(1, Math.ceil(count / MAX_LISTED));
      const recent = Array.from({ length: 5 }, () => ({
        at: '2026-11-25T09:00:00.000Z',
        actor: 'U0ALICE',
        action: 'verify' as const,
        bucket: 'audited-bucket',
        outcome: 'All checks passed',
      }));

      const shown = Array.from({ length: pages }, (_, page) => {
        const message = buildDestinationList(many, recent, page);
        expect(blockKitViolations(message, 'message')).toEqual([]);
        return JSON.stringify(message);
      });

      for (const destination of many) {
        const name = `\`${destination.settings.bucket}\``;
        expect(shown.filter((page) => page.includes(name))).toHaveLength(1);
      }
      expect(shown.at(-1)).not.toContain('Next ›');
    },
  );
});

describe('remove and usage messages', () => {
  it('asks before removing, with both buttons carrying the bucket', () => {
    const message = buildRemoveConfirmation('acme-data-lake');
    const buttons = (
      message.blocks as { elements?: { action_id: string; value: string }[] }[]
    ).flatMap((b) => b.elements ?? []);

    expect(buttons.map((b) => b.action_id)).toEqual(['confirm_remove', 'cancel_remove']);
    expect(buttons.every((b) => JSON.parse(b.value).bucket === 'acme-data-lake')).toBe(true);
  });

  it('tells the channel what may now be cleaned up: our statements, the challenge file, the write check', () => {
    const text = visibleText(buildRemovedNotice('U0', 'acme-data-lake'));

    expect(text).toContain(
      'From the bucket you may now remove our two statements of its bucket policy (`S3DestinationListBucket` and `S3DestinationReadWriteObjects`), the challenge file, and `_s3_destination_write_check`, the empty object the bot wrote when it checked.',
    );
  });

  it('says what removing changes: the bot stops checking, and loads nothing', () => {
    const text = visibleText(buildRemoveConfirmation('acme-data-lake'));

    expect(text).toContain('The bot stops checking it');
    expect(text).not.toContain('Loads to it');
  });

  it('lists every subcommand, after the reason when there is one', () => {
    const message = buildUsage('I don’t know `x`.');
    const json = JSON.stringify(message.blocks);

    for (const sub of ['setup', 'list', 'verify <bucket>', 'remove <bucket>', 'help']) {
      expect(json).toContain(`/s3-destination ${sub}`);
    }
    expect(json.indexOf('I don’t know')).toBeLessThan(json.indexOf('/s3-destination setup'));
  });
});
