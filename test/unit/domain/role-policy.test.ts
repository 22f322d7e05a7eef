import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { newExternalId, roleArnProblems, accessOf } from '../../../src/domain/access';
import type { Partition } from '../../../src/domain/partition';
import {
  buildPermissionsPolicy,
  buildTrustPolicy,
  formatPermissionsPolicy,
  formatTrustPolicy,
  rolePathOf,
  roleNameOf,
} from '../../../src/domain/role-policy';

const BUCKET = 'acme-data-lake';
const LOADER_ACCOUNT = '111111111111';
const ROLE_ACCOUNT = '222222222222';
const OTHER_ACCOUNT = '333333333333';

describe('newExternalId', () => {
  it('draws at least 32 letters and digits', () => {
    const id = newExternalId();

    expect(id).toMatch(/^[A-Za-z0-9]{32,}$/);
  });

  it('never draws the same one twice', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newExternalId()));

    expect(ids.size).toBe(1000);
  });
});

describe('accessOf', () => {
  it('reads settings saved before roles existed as bucket policy access', () => {
    expect(accessOf({})).toEqual({ type: 'bucket_policy' });
  });
});

describe('roleArnProblems', () => {
  const aws = { s3Compatible: false };

  it.each([
    ['arn:aws:iam::123456789012:role/s3-destination', 'us-east-1'],
    ['arn:aws:iam::123456789012:role/data/loaders/s3-destination', 'eu-west-1'],
    ['arn:aws-cn:iam::123456789012:role/s3-destination', 'cn-north-1'],
    ['arn:aws-us-gov:iam::123456789012:role/s3-destination', 'us-gov-west-1'],
  ])('accepts %s for a bucket in %s', (arn, region) => {
    expect(roleArnProblems(arn, region, aws)).toEqual([]);
  });

  it.each([
    ['', 'us-east-1', 'Enter the ARN of the role'],
    ['my-role', 'us-east-1', 'must be an IAM role or user ARN'],
    ['arn:aws:iam::123456789012:user/loader', 'us-east-1', 'That is a user ARN'],
    ['arn:aws:iam::1234:role/x', 'us-east-1', 'must have a 12-digit AWS account id'],
    ['arn:aws:iam:::role/x', 'us-east-1', 'has no account id'],
    ['arn:aws:sts::123456789012:assumed-role/x/s', 'us-east-1', 'is an STS session ARN'],
    ['arn:aws:iam::123456789012:role/a//b', 'us-east-1', 'empty path segment'],
    ['arn:aws:iam::123456789012:role/x', 'cn-north-1', 'needs a role of the same partition'],
    ['arn:aws-cn:iam::123456789012:role/x', 'us-east-1', 'arn:aws:iam::…, not arn:aws-cn'],
  ])('refuses %j for a bucket in %s', (arn, region, problem) => {
    const problems = roleArnProblems(arn, region, aws);

    expect(problems.join(' ')).toContain(problem);
  });

  it("accepts an S3-compatible engine's tenant-less role ARN when S3_ENDPOINT is set", () => {
    expect(
      roleArnProblems('arn:aws:iam:::role/loader', 'us-east-1', { s3Compatible: true }),
    ).toEqual([]);
  });
});

describe('role names and paths', () => {
  it.each([
    ['arn:aws:iam::123456789012:role/loader', 'loader', '/'],
    ['arn:aws:iam::123456789012:role/data/etl/loader', 'loader', '/data/etl/'],
  ])('reads %s as %s under %s', (arn, name, path) => {
    expect([roleNameOf(arn), rolePathOf(arn)]).toEqual([name, path]);
  });
});

describe('buildPermissionsPolicy', () => {
  it('grants the bucket policy’s three actions on the bucket, with no principal', () => {
    const policy = buildPermissionsPolicy(BUCKET, 'cn-north-1');

    expect(JSON.parse(formatPermissionsPolicy(policy))).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'S3DestinationListBucket',
          Effect: 'Allow',
          Action: ['s3:ListBucket'],
          Resource: `arn:aws-cn:s3:::${BUCKET}`,
        },
        {
          Sid: 'S3DestinationReadWriteObjects',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject'],
          Resource: `arn:aws-cn:s3:::${BUCKET}/*`,
        },
      ],
    });
  });
});

/**
 * The trust policy is judged by an IAM policy evaluator, as STS would judge an AssumeRole. Our
 * principal lives in its own account and the role in the customer's; a cross-account AssumeRole
 * needs the caller's identity policy to allow it too, so every simulated caller gets one allowing
 * sts:AssumeRole anywhere: the trust policy is then the only thing that can say no.
 */
describe.each([
  ['us-east-1', 'aws'],
  ['cn-north-1', 'aws-cn'],
  ['us-gov-west-1', 'aws-us-gov'],
] as [string, Partition][])('the trust policy for %s, evaluated by IAM', (_region, partition) => {
  const loader = `arn:${partition}:iam::${LOADER_ACCOUNT}:role/loader`;
  const stranger = `arn:${partition}:iam::${OTHER_ACCOUNT}:role/someone-else`;
  const roleArn = `arn:${partition}:iam::${ROLE_ACCOUNT}:role/s3-destination`;
  const externalId = newExternalId();
  const trust = buildTrustPolicy(loader, externalId);

  async function decide(principal: string, presented: string | undefined): Promise<string> {
    const simulation: Simulation = {
      request: {
        principal,
        action: 'sts:AssumeRole',
        resource: { resource: roleArn, accountId: ROLE_ACCOUNT },
        contextVariables: presented === undefined ? {} : { 'sts:ExternalId': presented },
      },
      identityPolicies: [
        {
          name: 'AssumeAnyRole',
          policy: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }],
          },
        },
      ],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      // The policy goes through JSON exactly as the user saves it from the setup message.
      resourcePolicy: JSON.parse(formatTrustPolicy(trust)),
    };
    const result = await runSimulation(simulation, {});
    if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
    return result.overallResult;
  }

  it('lets our principal assume the role with the destination’s ExternalId', async () => {
    expect(await decide(loader, externalId)).toBe('Allowed');
  });

  it('refuses our principal with another ExternalId', async () => {
    expect(await decide(loader, newExternalId())).toBe('ImplicitlyDenied');
  });

  it('refuses our principal with no ExternalId at all', async () => {
    expect(await decide(loader, undefined)).toBe('ImplicitlyDenied');
  });

  it('refuses another principal, even with the right ExternalId', async () => {
    expect(await decide(stranger, externalId)).toBe('ImplicitlyDenied');
  });
});
