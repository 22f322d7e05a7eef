import { LIST_BUCKET_SID, READ_WRITE_OBJECTS_SID } from './bucket-policy';
import { partitionForRegion } from './partition';

export const ASSUME_ROLE_SID = 'S3DestinationAssumeRole';

/** The role's trust policy: our principal may assume it, only when it presents the ExternalId. */
export interface TrustPolicy {
  Version: '2012-10-17';
  Statement: [
    {
      Sid: string;
      Effect: 'Allow';
      Principal: { AWS: string };
      Action: 'sts:AssumeRole';
      Condition: { StringEquals: { 'sts:ExternalId': string } };
    },
  ];
}

/** One statement of the role's permissions policy (an identity policy: no Principal). */
export interface PermissionStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string;
}

/** The role's permissions: the bucket policy's three actions on the bucket, nothing more. */
export interface PermissionsPolicy {
  Version: '2012-10-17';
  Statement: [PermissionStatement, PermissionStatement];
}

/** The trust policy letting `principalArn` assume the role with `externalId`, and only with it. */
export function buildTrustPolicy(principalArn: string, externalId: string): TrustPolicy {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: ASSUME_ROLE_SID,
        Effect: 'Allow',
        Principal: { AWS: principalArn },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': externalId } },
      },
    ],
  };
}

/** The least-privilege permissions policy for `bucket`: list it, get and put its objects. */
export function buildPermissionsPolicy(bucket: string, region: string): PermissionsPolicy {
  const bucketArn = `arn:${partitionForRegion(region)}:s3:::${bucket}`;
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: LIST_BUCKET_SID, Effect: 'Allow', Action: ['s3:ListBucket'], Resource: bucketArn },
      {
        Sid: READ_WRITE_OBJECTS_SID,
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: `${bucketArn}/*`,
      },
    ],
  };
}

/** The trust policy as pretty JSON (2-space indent) in a fixed key order, ready to save as a file. */
export function formatTrustPolicy(policy: TrustPolicy): string {
  const [statement] = policy.Statement;
  return JSON.stringify(
    {
      Version: policy.Version,
      Statement: [
        {
          Sid: statement.Sid,
          Effect: statement.Effect,
          Principal: { AWS: statement.Principal.AWS },
          Action: statement.Action,
          Condition: {
            StringEquals: { 'sts:ExternalId': statement.Condition.StringEquals['sts:ExternalId'] },
          },
        },
      ],
    },
    null,
    2,
  );
}

/** The permissions policy as pretty JSON in a fixed key order. */
export function formatPermissionsPolicy(policy: PermissionsPolicy): string {
  return JSON.stringify(
    {
      Version: policy.Version,
      Statement: policy.Statement.map((statement) => ({
        Sid: statement.Sid,
        Effect: statement.Effect,
        Action: statement.Action,
        Resource: statement.Resource,
      })),
    },
    null,
    2,
  );
}

/** The name a role's ARN ends with (after its path): what `aws iam` commands take. */
export function roleNameOf(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf('/') + 1);
}

/** The path of a role's ARN (`/` or `/a/b/`): `aws iam create-role --path`. */
export function rolePathOf(roleArn: string): string {
  const resource = roleArn.split(':').slice(5).join(':');
  const inner = resource.slice(resource.indexOf('/') + 1, resource.lastIndexOf('/') + 1);
  return `/${inner}`;
}
