import { parseSetupSubmission } from '../../../src/slack/setup-state';
import { setupStateValues } from '../../support/slack-payloads';
import { DEFAULT_KEY_TEMPLATE } from '../../../src/domain/key-template';

const AWS_ONLY = { aws: 'arn:aws:iam::123456789012:role/loader' };
const form = (region: string, bucket = 'acme-data-lake') =>
  setupStateValues({
    bucket,
    region,
    format: 'jsonl',
    keyTemplate: DEFAULT_KEY_TEMPLATE,
  });

describe('parseSetupSubmission: the region’s partition', () => {
  it('hands back the principal of the region’s partition', () => {
    const principals = { ...AWS_ONLY, 'aws-cn': 'arn:aws-cn:iam::123456789012:role/loader' };

    const submission = parseSetupSubmission(form('cn-north-1'), principals);

    expect(submission).toMatchObject({
      ok: true,
      principalArn: 'arn:aws-cn:iam::123456789012:role/loader',
    });
  });

  it('refuses, on the region block, a region of a partition without a principal', () => {
    const submission = parseSetupSubmission(form('us-gov-west-1'), AWS_ONLY);

    expect(submission.ok).toBe(false);
    expect(!submission.ok && submission.problems.region).toEqual([
      expect.stringMatching(/not set up for AWS GovCloud \(US\) regions.*us-gov-west-1/),
    ]);
  });

  it('reports that problem with the others at once', () => {
    const submission = parseSetupSubmission(form('cn-north-1', 's3://acme'), AWS_ONLY);

    expect(!submission.ok && Object.keys(submission.problems).sort()).toEqual([
      'region',
      's3_bucket',
    ]);
  });
});
