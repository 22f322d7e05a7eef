import { buildBucketPolicy } from '../../../../src/domain/bucket-policy';
import type { DestinationSettings } from '../../../../src/domain/destination';
import type { SavedDestination } from '../../../../src/store/types';
import { assembleReport, checkResult } from '../../../../src/verify/report';
import { buildPolicyMessage } from '../../../../src/slack/views/bucket-policy';
import { buildCheckResult } from '../../../../src/slack/views/check-result';
import {
  buildResetupConfirmation,
  parseResetupMetadata,
} from '../../../../src/slack/views/resetup-confirmation';
import { buildSetupInstructions } from '../../../../src/slack/views/setup-instructions';
import { buildUsage } from '../../../../src/slack/views/usage';
import { blockKitViolations } from '../../../support/block-kit-limits';
import { visibleText } from '../../../support/message-text';
import { destinationSettings } from '../../../support/fixtures';

const CHALLENGE = 's3-destination-challenge-file-0f8fad5b-d9cb-469f-a165-70867728950e';
const PRINCIPAL = 'arn:aws:iam::123456789012:role/s3-destination-loader';
const SESSION_ID = '7d444840-9dc0-11d1-b245-5ffdce74fad2';
const settings: DestinationSettings = destinationSettings({
  bucket: 'acme-data-lake',
  region: 'eu-west-1',
});
// The longest inputs the rules allow: a 63-character bucket, a 500-character key template, and an
// IAM role ARN with a long path and a 64-character name.
const longest: DestinationSettings = {
  ...settings,
  bucket: `b${'x'.repeat(61)}b`,
  keyTemplate: `${'k'.repeat(430)}/[integration_name]/[table_name]/[table_version]_[timestamp_loaded]`,
};
const longPrincipal = `arn:aws:iam::123456789012:role/${'path/'.repeat(90)}${'r'.repeat(64)}`;

function instructions(shown = settings, principal = PRINCIPAL, replacing = false) {
  return buildSetupInstructions({
    sessionId: SESSION_ID,
    settings: shown,
    challengeKey: CHALLENGE,
    bucketPolicy: buildBucketPolicy(shown.bucket, shown.region, principal),
    sessionTtlSeconds: 86400,
    replacing,
  });
}

function policyMessage(source: 'destination' | 'session', shown = settings, principal = PRINCIPAL) {
  return buildPolicyMessage({
    bucket: shown.bucket,
    region: shown.region,
    policy: buildBucketPolicy(shown.bucket, shown.region, principal),
    source,
  });
}

describe('the bucket policy steps, in the setup instructions and from `policy`', () => {
  it.each([
    ['the setup instructions', () => instructions()],
    ['the policy command', () => policyMessage('destination')],
  ])('in %s, never wipe a policy the bucket already has', (_where, build) => {
    const text = visibleText(build());

    expect(text).toContain(
      '*A policy already there* (most buckets have one): keep every statement',
    );
    expect(text).toContain('add our two statements to the end of its `"Statement"` list');
    expect(text).toContain('Block Public Access can stay on');
    expect(text).toContain(
      '```aws s3api put-bucket-policy --bucket acme-data-lake --region eu-west-1 --policy file://s3-destination-policy.json```',
    );
    expect(text).toContain(
      'aws s3api get-bucket-policy --bucket acme-data-lake --region eu-west-1 --query Policy --output text',
    );
    expect(text).toContain('(bash, PowerShell or cmd)');
    // No JSON on a command line: single quotes do not quote in PowerShell or cmd.
    expect(text).not.toMatch(/'[[{]/);
  });

  it('shows the whole policy and, for an existing policy, our statements alone as a JSON array', () => {
    const blocks = instructions().blocks.map((block) => visibleText(block));
    const codeOf = (intro: string) => {
      const block = blocks.find((text) => text.startsWith(intro));
      return JSON.parse(/```([\s\S]*)```/.exec(block ?? '')?.[1] ?? 'null') as unknown;
    };

    const whole = codeOf('The whole policy:');
    const statements = codeOf('Our two statements alone');

    expect(whole).toEqual(buildBucketPolicy('acme-data-lake', 'eu-west-1', PRINCIPAL));
    expect(statements).toEqual((whole as { Statement: unknown }).Statement);
  });

  it('names the write-check object before anything is checked', () => {
    const [, summary] = instructions().blocks.map((block) => visibleText(block));

    expect(summary).toContain(
      'the bot writes an empty object named `_s3_destination_write_check` at the top of the bucket',
    );
    expect(summary).toContain('you may delete it');
  });

  it('keeps the upload one-liner free of quoted JSON and points to `policy` for later', () => {
    const text = visibleText(instructions());

    expect(text).toContain(
      `aws s3api put-object --bucket acme-data-lake --region eu-west-1 --key ${CHALLENGE}`,
    );
    expect(text).toContain('`/s3-destination policy acme-data-lake` shows the bucket policy again');
  });

  it('says, when setting up a connected bucket again, that it stays until the new check passes', () => {
    expect(visibleText(instructions(settings, PRINCIPAL, true))).toContain(
      '`acme-data-lake` is connected already, and stays as it is until this setup’s *Check and Save* passes; then this setup replaces it.',
    );
    expect(visibleText(instructions())).not.toContain('connected already');
  });

  it.each([
    ['the setup instructions', () => instructions(longest, longPrincipal, true)],
    ['the policy command', () => policyMessage('destination', longest, longPrincipal)],
  ])('keeps %s within Slack’s limits with the longest inputs', (_where, build) => {
    expect(blockKitViolations(build(), 'message')).toEqual([]);
  });

  it('gives the policy again without the challenge name, saying how to get a new one', () => {
    const saved = visibleText(policyMessage('destination'));
    const open = visibleText(policyMessage('session'));

    expect(saved).toContain('The bucket policy for the saved destination `acme-data-lake`');
    expect(saved).toContain(
      'If it is lost, run `/s3-destination setup` for `acme-data-lake` again: the saved destination stays in force until the new setup’s *Check and Save* passes',
    );
    expect(open).toContain('`acme-data-lake`, from the setup you started');
    expect(open).toContain('The challenge file name is in your setup message');
    expect(`${saved}${open}`).not.toContain('s3-destination-challenge-file-');
    expect(JSON.stringify(policyMessage('destination'))).toContain(PRINCIPAL);
  });
});

describe('the confirmation before setting up a connected bucket again', () => {
  const metadata = { channelId: 'C0DATA', responseUrl: 'https://hooks.slack.com/commands/T0/1/a' };
  const connected: SavedDestination = {
    teamId: 'T0',
    version: 3,
    settings: { ...settings, region: 'us-east-1' },
    challengeKey: CHALLENGE,
    channelId: 'C0DATA',
    connectedBy: 'U0ALICE',
    connectedAt: '2026-11-25T08:00:00.000Z',
    verifiedAt: '2026-11-25T08:00:00.000Z',
    lastCheck: { at: '2026-11-25T08:00:00.000Z', ok: true, summary: 'All checks passed' },
  };

  it('says what is saved, what would change, and that nothing changes until the check passes', () => {
    const view = buildResetupConfirmation(metadata, settings, connected);
    const text = visibleText(view.blocks);

    expect(view.callback_id).toBe('s3_destination_resetup');
    expect(view.submit?.text).toBe('Set up again');
    expect(view.close?.text).toBe('Back');
    expect(text).toContain(
      '`acme-data-lake` is already connected in this workspace, by <@U0ALICE>',
    );
    expect(text).toContain('US East (N. Virginia) · us-east-1');
    expect(text).toContain('Europe (Ireland) · eu-west-1');
    expect(text).toContain(
      'The saved destination stays in force until this setup’s *Check and Save* passes',
    );
    expect(text).toContain('Lost the challenge file name? This is the way back');
    expect(JSON.stringify(view)).not.toContain(CHALLENGE);
  });

  it('carries what was entered to its submit, within Slack’s limits', () => {
    const view = buildResetupConfirmation(metadata, longest, connected);

    expect(parseResetupMetadata(view.private_metadata)).toEqual({ ...metadata, settings: longest });
    expect(blockKitViolations(view, 'modal')).toEqual([]);
    expect(parseResetupMetadata('{"channelId":"C0"}')).toBeUndefined();
    expect(parseResetupMetadata('not json')).toBeUndefined();
  });
});

describe('the region fix in a failed check’s result', () => {
  const wrongRegion = assembleReport(
    [
      checkResult('challenge', 'wrong_region', 'The bucket is not in us-east-1.'),
      checkResult('list', 'not_run', 'Not checked.'),
      checkResult('region', 'wrong_region', 'The bucket is in eu-west-1, not us-east-1.'),
    ],
    { regionChecked: true },
  );

  it('offers a button carrying the session and the bucket’s region', () => {
    const message = buildCheckResult({
      userId: 'U0ALICE',
      settings: { ...settings, region: 'us-east-1' },
      report: wrongRegion,
      occasion: 'setup',
      identityProven: true,
      regionFix: { sessionId: SESSION_ID, region: 'eu-west-1' },
    });
    const button = (message.blocks as { elements?: Record<string, unknown>[] }[])
      .flatMap((block) => block.elements ?? [])
      .find((element) => element.type === 'button');

    expect(button).toMatchObject({
      action_id: 'use_bucket_region',
      text: { type: 'plain_text', text: 'Use eu-west-1 and check again' },
    });
    expect(JSON.parse(button?.value as string)).toEqual({
      sessionId: SESSION_ID,
      region: 'eu-west-1',
    });
    expect(visibleText(message)).toContain(
      '*Use eu-west-1* switches this setup to the bucket’s region and checks again, with the same challenge file.',
    );
    expect(blockKitViolations(message, 'message')).toEqual([]);
  });

  it('offers nothing without a fix', () => {
    const message = buildCheckResult({
      userId: 'U0ALICE',
      settings,
      report: wrongRegion,
      occasion: 'setup',
      identityProven: true,
    });

    expect(JSON.stringify(message)).not.toContain('use_bucket_region');
  });
});

describe('help', () => {
  it('lists `policy` and says that setting up again is the way back from a lost challenge name', () => {
    const text = visibleText(buildUsage());

    expect(text).toContain('`/s3-destination policy <bucket>`: show the bucket policy again');
    expect(text).toContain(
      'Lost the challenge file name, or want other settings? Run `/s3-destination setup` for the same bucket again',
    );
  });
});
