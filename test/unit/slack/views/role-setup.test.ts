import type { RoleAccess } from '../../../../src/domain/access';
import { buildBucketPolicy } from '../../../../src/domain/bucket-policy';
import type { DestinationSettings } from '../../../../src/domain/destination';
import { PARTITIONS } from '../../../../src/domain/partition';
import { parseSetupSubmission, readSetupDraft } from '../../../../src/slack/setup-state';
import { buildCheckResult } from '../../../../src/slack/views/check-result';
import { buildSetupModal } from '../../../../src/slack/views/setup-modal';
import { buildSetupInstructions } from '../../../../src/slack/views/setup-instructions';
import {
  EXTERNAL_ID_WITHHELD,
  buildRolePolicyMessage,
} from '../../../../src/slack/views/role-steps';
import { assembleReport, checkResult } from '../../../../src/verify/report';
import { blockKitViolations } from '../../../support/block-kit-limits';
import { visibleText } from '../../../support/message-text';
import { setupStateValues } from '../../../support/slack-payloads';
import { destinationSettings } from '../../../support/fixtures';

const PRINCIPAL = 'arn:aws:iam::111111111111:role/s3-destination-loader';
const ROLE_ARN = 'arn:aws:iam::222222222222:role/data/s3-destination';
const EXTERNAL_ID = 'Zx81kq0PLmA7vR3tYc5uW9eN2bH4jD6fG8sK1oQa';
const metadata = { channelId: 'C0DATA' };
const settings: DestinationSettings = destinationSettings({
  bucket: 'acme-data-lake',
  region: 'eu-west-1',
});
const access: RoleAccess = { type: 'iam_role', roleArn: ROLE_ARN, externalId: EXTERNAL_ID };

type AnyBlock = { block_id?: string; element?: Record<string, unknown> };
const byId = (view: ReturnType<typeof buildSetupModal>, id: string) =>
  (view.blocks as AnyBlock[]).find((block) => block.block_id === id);

describe('the setup modal’s access choice', () => {
  it('offers the bucket policy by default, with no role ARN input', () => {
    const view = buildSetupModal(metadata, PARTITIONS);

    const radio = byId(view, 'access_type');
    expect((radio?.element?.initial_option as { value: string }).value).toBe('bucket_policy');
    expect(radio?.element?.action_id).toBe('access_type');
    expect(byId(view, 'role_arn')).toBeUndefined();
  });

  it('shows the role ARN, as typed, while the IAM role is selected, beside the CSV options', () => {
    const view = buildSetupModal(metadata, PARTITIONS, {
      accessType: 'iam_role',
      roleArn: 'arn:aws:iam::12',
      format: 'csv',
    });

    expect(byId(view, 'role_arn')?.element).toMatchObject({
      action_id: 'role_arn',
      initial_value: 'arn:aws:iam::12',
    });
    expect(byId(view, 'csv_delimiter')).toBeDefined();
    expect(blockKitViolations(view, 'modal')).toEqual([]);
  });

  it('reads the choice and the role ARN back from the modal’s state', () => {
    const values = setupStateValues(settings, { type: 'iam_role', roleArn: ROLE_ARN });

    expect(readSetupDraft(values)).toMatchObject({ accessType: 'iam_role', roleArn: ROLE_ARN });
  });
});

describe('parseSetupSubmission with an IAM role', () => {
  const principals = { aws: PRINCIPAL };

  it('carries the role and a new ExternalId in the settings', () => {
    const values = setupStateValues(settings, { type: 'iam_role', roleArn: ` ${ROLE_ARN} ` });

    const submission = parseSetupSubmission(values, principals);

    expect(submission.ok && submission.settings.access).toEqual({
      type: 'iam_role',
      roleArn: ROLE_ARN,
      externalId: expect.stringMatching(/^[A-Za-z0-9]{32,}$/),
    });
  });

  it('draws another ExternalId on every submit', () => {
    const values = setupStateValues(settings, { type: 'iam_role', roleArn: ROLE_ARN });

    const [first, second] = [1, 2].map(() => parseSetupSubmission(values, principals));

    expect(first.ok && second.ok).toBe(true);
    expect(first.ok && first.settings.access).not.toEqual(second.ok && second.settings.access);
  });

  it('leaves the bucket policy implicit, as on destinations saved before roles', () => {
    const submission = parseSetupSubmission(
      setupStateValues(settings, { type: 'bucket_policy' }),
      principals,
    );

    expect(submission.ok && 'access' in submission.settings).toBe(false);
  });

  it.each([
    ['', /Enter the ARN of the role/],
    ['arn:aws-cn:iam::222222222222:role/x', /needs a role of the same partition/],
    ['arn:aws:iam::222222222222:user/x', /That is a user ARN/],
  ])('refuses %j inline on the role_arn block', (roleArn, problem) => {
    const values = setupStateValues(settings, { type: 'iam_role', roleArn });

    const submission = parseSetupSubmission(values, principals);

    expect(!submission.ok && submission.problems.role_arn).toEqual([
      expect.stringMatching(problem),
    ]);
  });

  it('says so when the bot has no STS to assume roles with', () => {
    const values = setupStateValues(settings, { type: 'iam_role', roleArn: ROLE_ARN });

    const submission = parseSetupSubmission(values, principals, { stsAvailable: false });

    expect(!submission.ok && submission.problems.role_arn?.[0]).toMatch(/STS_ENDPOINT/);
  });
});

describe('the role steps', () => {
  const roleSettings = { ...settings, access };
  const message = buildSetupInstructions({
    sessionId: '7d444840-9dc0-11d1-b245-5ffdce74fad2',
    settings: roleSettings,
    challengeKey: 's3-destination-challenge-file-0f8fad5b-d9cb-469f-a165-70867728950e',
    bucketPolicy: buildBucketPolicy(settings.bucket, settings.region, PRINCIPAL),
    role: { access, principalArn: PRINCIPAL },
    sessionTtlSeconds: 86400,
  });
  const text = visibleText(message);

  it('give the trust policy, the permissions policy, and the CLI steps, instead of a bucket policy', () => {
    expect(text).toContain('"sts:ExternalId": "' + EXTERNAL_ID + '"');
    expect(text).toContain('"AWS": "' + PRINCIPAL + '"');
    expect(text).toContain('"Resource": "arn:aws:s3:::acme-data-lake/*"');
    expect(text).toContain(
      'aws iam create-role --role-name s3-destination --path /data/ --assume-role-policy-document file://s3-destination-trust-policy.json',
    );
    expect(text).toContain(
      'aws iam put-role-policy --role-name s3-destination --policy-name s3-destination --policy-document file://s3-destination-permissions-policy.json',
    );
    expect(text).not.toContain('put-bucket-policy');
    expect(text).toContain('s3-destination-challenge-file-');
    expect(blockKitViolations(message, 'message')).toEqual([]);
  });

  it('in `policy`, withhold the ExternalId from anyone but whoever connected the bucket', () => {
    const shown = buildRolePolicyMessage({
      bucket: settings.bucket,
      region: settings.region,
      principalArn: PRINCIPAL,
      access,
      showExternalId: false,
      source: 'destination',
    });

    expect(visibleText(shown)).not.toContain(EXTERNAL_ID);
    expect(visibleText(shown)).toContain(EXTERNAL_ID_WITHHELD);
    expect(visibleText(shown)).not.toContain('s3-destination-challenge-file-');
  });

  it('show the role, never its ExternalId, in team-visible results', () => {
    const report = assembleReport([checkResult('challenge', 'ok', 'ok')], { regionChecked: false });

    const result = buildCheckResult({
      userId: 'U0ALICE',
      settings: roleSettings,
      report,
      occasion: 'setup',
      identityProven: true,
    });

    expect(visibleText(result)).toContain(ROLE_ARN);
    expect(visibleText(result)).not.toContain(EXTERNAL_ID);
  });
});
