import { partitionForRegion } from './partition';

/** One statement of the policy; every field is always present, so the JSON has one shape. */
export interface BucketPolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: { AWS: string };
  Action: string[];
  Resource: string;
}

/** The bucket policy a user attaches so the loader can list, read and write the bucket. */
export interface BucketPolicy {
  Version: '2012-10-17';
  Statement: [BucketPolicyStatement, BucketPolicyStatement];
}

// Stable Sids let a user (and the verifier's error text) point at the statement that is missing.
export const LIST_BUCKET_SID = 'S3DestinationListBucket';
export const READ_WRITE_OBJECTS_SID = 'S3DestinationReadWriteObjects';

/** The least-privilege policy for `bucket`: list it, get and put its objects, nothing more. */
export function buildBucketPolicy(
  bucket: string,
  region: string,
  principalArn: string,
): BucketPolicy {
  const bucketArn = `arn:${partitionForRegion(region)}:s3:::${bucket}`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: LIST_BUCKET_SID,
        Effect: 'Allow',
        Principal: { AWS: principalArn },
        Action: ['s3:ListBucket'],
        Resource: bucketArn,
      },
      {
        Sid: READ_WRITE_OBJECTS_SID,
        Effect: 'Allow',
        Principal: { AWS: principalArn },
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: `${bucketArn}/*`,
      },
    ],
  };
}

// Rebuilt field by field so the order never depends on how the object was constructed.
function orderedStatements(policy: BucketPolicy): BucketPolicyStatement[] {
  return policy.Statement.map((statement) => ({
    Sid: statement.Sid,
    Effect: statement.Effect,
    Principal: { AWS: statement.Principal.AWS },
    Action: statement.Action,
    Resource: statement.Resource,
  }));
}

/** The policy as pretty JSON (2-space indent) in a fixed key order, ready to paste. */
export function formatBucketPolicy(policy: BucketPolicy): string {
  return JSON.stringify({ Version: policy.Version, Statement: orderedStatements(policy) }, null, 2);
}

/**
 * The policy's statements alone, as a pretty JSON array in the same fixed order: what to add to
 * the `Statement` list of a policy the bucket already has.
 */
export function formatPolicyStatements(policy: BucketPolicy): string {
  return JSON.stringify(orderedStatements(policy), null, 2);
}
