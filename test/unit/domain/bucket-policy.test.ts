import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import {
  buildBucketPolicy,
  formatBucketPolicy,
  formatPolicyStatements,
  type BucketPolicy,
} from '../../../src/domain/bucket-policy';
import { partitionForRegion, type Partition } from '../../../src/domain/partition';

const BUCKET = 'acme-data-lake';
const LOADER_ACCOUNT = '111111111111';
const BUCKET_ACCOUNT = '222222222222';
const OTHER_ACCOUNT = '333333333333';

describe('partitionForRegion', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['eu-west-1', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['cn-northwest-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-gov-east-1', 'aws-us-gov'],
  ])('puts %s in the %s partition', (region, expected) => {
    const partition = partitionForRegion(region);

    expect(partition).toBe(expected);
  });
});

describe('buildBucketPolicy', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
  ])('grants exactly list, get and put for %s, with %s ARNs', (region, partition) => {
    const principal = `arn:${partition}:iam::${LOADER_ACCOUNT}:role/loader`;

    const policy = buildBucketPolicy(BUCKET, region, principal);

    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'S3DestinationListBucket',
          Effect: 'Allow',
          Principal: { AWS: principal },
          Action: ['s3:ListBucket'],
          Resource: `arn:${partition}:s3:::${BUCKET}`,
        },
        {
          Sid: 'S3DestinationReadWriteObjects',
          Effect: 'Allow',
          Principal: { AWS: principal },
          Action: ['s3:GetObject', 's3:PutObject'],
          Resource: `arn:${partition}:s3:::${BUCKET}/*`,
        },
      ],
    });
  });
});

describe('formatBucketPolicy', () => {
  it('prints 2-space JSON in a fixed key order', () => {
    const policy = buildBucketPolicy('b1', 'us-east-1', 'arn:aws:iam::111111111111:role/loader');

    const json = formatBucketPolicy(policy);

    expect(json).toBe(
      [
        '{',
        '  "Version": "2012-10-17",',
        '  "Statement": [',
        '    {',
        '      "Sid": "S3DestinationListBucket",',
        '      "Effect": "Allow",',
        '      "Principal": {',
        '        "AWS": "arn:aws:iam::111111111111:role/loader"',
        '      },',
        '      "Action": [',
        '        "s3:ListBucket"',
        '      ],',
        '      "Resource": "arn:aws:s3:::b1"',
        '    },',
        '    {',
        '      "Sid": "S3DestinationReadWriteObjects",',
        '      "Effect": "Allow",',
        '      "Principal": {',
        '        "AWS": "arn:aws:iam::111111111111:role/loader"',
        '      },',
        '      "Action": [',
        '        "s3:GetObject",',
        '        "s3:PutObject"',
        '      ],',
        '      "Resource": "arn:aws:s3:::b1/*"',
        '    }',
        '  ]',
        '}',
      ].join('\n'),
    );
  });

  it('does not depend on the order the object was built in', () => {
    const policy = buildBucketPolicy('b1', 'us-east-1', 'arn:aws:iam::111111111111:role/loader');
    const [list, objects] = policy.Statement;
    const shuffled = {
      Statement: [
        {
          Resource: list.Resource,
          Action: list.Action,
          Principal: list.Principal,
          Effect: list.Effect,
          Sid: list.Sid,
        },
        { ...objects },
      ],
      Version: policy.Version,
    } as BucketPolicy;

    const json = formatBucketPolicy(shuffled);

    expect(json).toBe(formatBucketPolicy(policy));
  });
});

describe('formatPolicyStatements', () => {
  it("prints the policy's statements alone, as they appear in the whole policy", () => {
    const policy = buildBucketPolicy(
      'b1',
      'cn-north-1',
      'arn:aws-cn:iam::111111111111:role/loader',
    );

    const statements = formatPolicyStatements(policy);

    expect(JSON.parse(statements)).toEqual(JSON.parse(formatBucketPolicy(policy)).Statement);
    expect(statements.startsWith('[\n  {\n    "Sid": "S3DestinationListBucket",')).toBe(true);
    // Indented as in the whole policy, one level less: pasted into a Statement list, it lines up.
    expect(formatBucketPolicy(policy)).toContain(
      statements.slice(1, -1).split('\n').join('\n  ').trimEnd(),
    );
  });
});

/**
 * The policy is judged by an IAM policy evaluator, as AWS would judge it, rather than by its text.
 *
 * The loader's role lives in its own account and the bucket in the customer's, which is the real
 * set-up. A cross-account request needs both the bucket policy and the caller's identity policy to
 * allow it, so every simulated principal gets an identity policy allowing all of S3: that makes the
 * bucket policy the only thing that can say no, which is what these tests are about.
 */
describe.each([
  ['us-east-1', 'aws'],
  ['cn-north-1', 'aws-cn'],
  ['us-gov-west-1', 'aws-us-gov'],
] as [string, Partition][])('the bucket policy for %s, evaluated by IAM', (region, partition) => {
  const loader = `arn:${partition}:iam::${LOADER_ACCOUNT}:role/loader`;
  const stranger = `arn:${partition}:iam::${OTHER_ACCOUNT}:role/someone-else`;
  const bucketArn = `arn:${partition}:s3:::${BUCKET}`;
  const objectArn = `${bucketArn}/some/key.csv`;
  const otherBucketArn = `arn:${partition}:s3:::another-bucket`;
  const policy = buildBucketPolicy(BUCKET, region, loader);

  async function decide(principal: string, action: string, resource: string): Promise<string> {
    const simulation: Simulation = {
      request: {
        principal,
        action,
        resource: { resource, accountId: BUCKET_ACCOUNT },
        contextVariables: {},
      },
      identityPolicies: [
        {
          name: 'AllS3',
          policy: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
          },
        },
      ],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      // The policy goes through JSON exactly as the user pastes it.
      resourcePolicy: JSON.parse(formatBucketPolicy(policy)),
    };
    const result = await runSimulation(simulation, {});
    if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
    return result.overallResult;
  }

  it.each([
    ['s3:ListBucket on the bucket', 's3:ListBucket', bucketArn],
    ['s3:GetObject on an object', 's3:GetObject', objectArn],
    ['s3:PutObject on an object', 's3:PutObject', objectArn],
  ])('allows the loader %s', async (_case, action, resource) => {
    const decision = await decide(loader, action, resource);

    expect(decision).toBe('Allowed');
  });

  it.each([
    ['s3:DeleteObject on an object', 's3:DeleteObject', objectArn],
    ['s3:PutBucketPolicy on the bucket', 's3:PutBucketPolicy', bucketArn],
    ['s3:DeleteBucket on the bucket', 's3:DeleteBucket', bucketArn],
    ['s3:PutObjectAcl on an object', 's3:PutObjectAcl', objectArn],
    ['s3:GetObject on another bucket’s object', 's3:GetObject', `${otherBucketArn}/some/key.csv`],
    ['s3:PutObject on another bucket’s object', 's3:PutObject', `${otherBucketArn}/some/key.csv`],
    ['s3:ListBucket on another bucket', 's3:ListBucket', otherBucketArn],
  ])('denies the loader %s', async (_case, action, resource) => {
    const decision = await decide(loader, action, resource);

    expect(decision).toBe('ImplicitlyDenied');
  });

  it.each([
    ['s3:ListBucket', bucketArn],
    ['s3:GetObject', objectArn],
    ['s3:PutObject', objectArn],
    ['s3:DeleteObject', objectArn],
  ])('denies another principal %s', async (action, resource) => {
    const decision = await decide(stranger, action, resource);

    expect(decision).toBe('ImplicitlyDenied');
  });
});
