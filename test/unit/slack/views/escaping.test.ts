import { buildBucketPolicy } from '../../../../src/domain/bucket-policy';
import type { DestinationSettings } from '../../../../src/domain/destination';
import { savedDestinationSchema } from '../../../../src/store/types';
import type { VerificationReport } from '../../../../src/verify/report';
import { noSuchDestination, notABucketName } from '../../../../src/slack/views/bucket-replies';
import { buildCheckResult, buildSavedSummary } from '../../../../src/slack/views/check-result';
import { buildDestinationList } from '../../../../src/slack/views/destination-list';
import { buildMonitorAlert, buildRecoveryNotice } from '../../../../src/slack/views/monitor-alert';
import { escapeMrkdwn, escapeText, inlineCode } from '../../../../src/slack/views/mrkdwn';
import {
  buildRemoveConfirmation,
  buildRemovedNotice,
} from '../../../../src/slack/views/remove-confirmation';
import { buildSetupInstructions } from '../../../../src/slack/views/setup-instructions';
import { keyPreview } from '../../../../src/slack/views/setup-modal';
import { visibleText } from '../../../support/message-text';
import { DEFAULT_KEY_TEMPLATE } from '../../../../src/domain/key-template';

// A template saved before the key-template rules refused these characters: the views must still
// show it inert, whole, wherever it appears.
const LINK = '<https://evil.example/fix|Re-verify your bucket>';
const ESCAPED_LINK = '&lt;https://evil.example/fix|Re-verify your bucket&gt;';
const MALICIOUS_TEMPLATE = `[integration_name]/[table_name]/[table_version]_[timestamp_loaded]\`${LINK}\``;

const settings: DestinationSettings = {
  bucket: 'acme-data-lake',
  region: 'us-east-1',
  format: 'jsonl',
  csvDelimiter: 'comma',
  csvForceQuote: false,
  keyTemplate: MALICIOUS_TEMPLATE,
};
const destination = savedDestinationSchema.parse({
  teamId: 'T0',
  settings,
  challengeKey: 's3-destination-challenge-file-0f8fad5b-d9cb-469f-a165-70867728950e',
  channelId: 'C0',
  connectedBy: 'U0ALICE',
  verifiedAt: '2026-11-25T08:00:00.000Z',
  lastCheck: { at: '2026-11-25T09:00:00.000Z', ok: false, summary: 'Failed: Challenge file' },
});
const challengeMissing = {
  check: 'challenge',
  outcome: 'not_found',
  status: 'failed',
  passed: false,
  text: 'The challenge file is missing.',
} as const;
// Only what the builders read: the report's other fields are the verifier's business, and change
// with it; escaping does not depend on them.
const partialReport = (fields: Partial<VerificationReport>) => fields as VerificationReport;
const failing = partialReport({ ok: false, operatorFault: false, checks: [challengeMissing] });

/** A check result to show in the channel, as Check and Save or verify builds it. */
function checkResult(occasion: 'setup' | 'verify', shown: DestinationSettings = settings) {
  const input = { userId: 'U0', settings: shown, report: failing, occasion, identityProven: true };
  return buildCheckResult(input);
}

/** Asserts the user's text reached the reader escaped, and no link can form from it. */
function expectInert(message: unknown): void {
  const text = visibleText(message);
  expect(text).toContain(ESCAPED_LINK);
  expect(text).not.toContain('<https://evil');
}

describe('user text in the messages the bot posts', () => {
  it.each([
    ['the first check result', () => checkResult('setup')],
    ['a verify result', () => checkResult('verify')],
    ['the destination list', () => buildDestinationList([destination])],
    ['the monitor alert', () => buildMonitorAlert(destination, failing, true)],
    ['the monitor recovery notice', () => buildRecoveryNotice(destination)],
    [
      'the setup instructions',
      () =>
        buildSetupInstructions({
          sessionId: 'session-1',
          settings,
          challengeKey: destination.challengeKey,
          bucketPolicy: buildBucketPolicy(
            settings.bucket,
            settings.region,
            'arn:aws:iam::123456789012:role/l',
          ),
          sessionTtlSeconds: 3600,
        }),
    ],
  ])('shows a key template carrying a link as inert text, in %s', (_name, build) => {
    const message = build();

    expectInert(message);
  });

  it('shows the saved key template whole, however long', () => {
    const long = { ...settings, keyTemplate: `${'x'.repeat(400)}${MALICIOUS_TEMPLATE}` };

    const text = visibleText(buildDestinationList([{ ...destination, settings: long }]));

    expect(text).toContain(`${'x'.repeat(400)}[integration_name]`);
    expect(text).toContain(ESCAPED_LINK);
  });

  it.each([
    ['the check result', () => checkResult('verify', { ...settings, bucket: 'a<b>&c' })],
    [
      'the monitor alert',
      () =>
        buildMonitorAlert(
          { ...destination, settings: { ...settings, bucket: 'a<b>&c' } },
          failing,
          true,
        ),
    ],
    ['the saved summary', () => buildSavedSummary({ ...settings, bucket: 'a<b>&c' })],
    ['the remove confirmation', () => buildRemoveConfirmation('a<b>&c')],
    ['the removed notice', () => buildRemovedNotice('U0', 'a<b>&c')],
    ['the unknown-destination reply', () => ({ text: noSuchDestination('a<b>&c') })],
    ['the not-a-bucket reply', () => ({ text: notABucketName('a<b>&c') })],
  ])('escapes a bucket name in %s', (_name, build) => {
    const text = visibleText(build());

    expect(text).toContain('a&lt;b&gt;&amp;c');
    expect(text).not.toContain('a<b>');
  });

  it('still previews the default template in the modal', () => {
    const preview = keyPreview({
      keyTemplate: DEFAULT_KEY_TEMPLATE,
      format: 'jsonl',
    });

    expect(preview.text).toBe('Preview: `salesforce-prod/account/1_1519235654474.jsonl`');
  });
});

describe('escapeText', () => {
  it('turns &, < and > into entities, ampersands first, and nothing else', () => {
    expect(escapeText('a&b <@U0> <!here> `x` *y*')).toBe(
      'a&amp;b &lt;@U0&gt; &lt;!here&gt; `x` *y*',
    );
  });

  it('never clips', () => {
    expect(escapeText('x'.repeat(600))).toHaveLength(600);
  });
});

describe('escapeMrkdwn', () => {
  it('escapes, replaces backticks so a code span holds, and clips echoed text to 80 characters', () => {
    const echoed = escapeMrkdwn(`\`${LINK}\`${'y'.repeat(100)}`);

    expect(echoed).toBe(`'${ESCAPED_LINK}'${'y'.repeat(80 - LINK.length - 2)}…`);
  });

  it('clips by characters, never inside an emoji', () => {
    expect(escapeMrkdwn('📦📦📦', 2)).toBe('📦📦…');
  });
});

describe('inlineCode', () => {
  it('shows user text whole in a code span that no backtick can end', () => {
    expect(inlineCode(MALICIOUS_TEMPLATE)).toBe(
      `\`[integration_name]/[table_name]/[table_version]_[timestamp_loaded]'${ESCAPED_LINK}'\``,
    );
  });
});
