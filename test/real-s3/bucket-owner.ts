import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketPolicyCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { buildBucketPolicy, formatBucketPolicy } from '../../src/domain/bucket-policy';
import { createS3ClientFactory, type S3ClientFactory } from '../../src/verify/s3-clients';
import { S3Verifier } from '../../src/verify/verifier';
import { RGW_REGION, type Rgw, type RgwUser } from '../support/rgw';

const TIMEOUT_MS = 5000;

export interface ListedObject {
  readonly key: string;
  readonly eTag: string | undefined;
  readonly lastModified: Date | undefined;
}

/** What a user following the setup instructions does to a bucket of their own, with their keys. */
export class BucketOwner {
  constructor(private readonly s3: S3Client) {}

  async createBucket(bucket: string): Promise<void> {
    await this.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }

  /** Uploads a blank object, as the instructions' `aws s3api put-object` does. */
  async uploadBlank(bucket: string, key: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.alloc(0) }));
  }

  async applyPolicy(bucket: string, policy: string): Promise<void> {
    await this.s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy }));
  }

  /** Every object in the bucket as its owner's listing shows it, by key. */
  async objects(bucket: string): Promise<ListedObject[]> {
    const listing = await this.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (listing.Contents ?? []).map((object) => ({
      key: object.Key ?? '',
      eTag: object.ETag,
      lastModified: object.LastModified,
    }));
  }

  /** Every key in the bucket, as its owner's listing shows them. */
  async keys(bucket: string): Promise<string[]> {
    return (await this.objects(bucket)).map((object) => object.key);
  }

  /** The bucket policy in force, parsed. */
  async policy(bucket: string): Promise<unknown> {
    const output = await this.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    return JSON.parse(output.Policy ?? 'null');
  }

  head(bucket: string, key: string): Promise<HeadObjectCommandOutput> {
    return this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }

  /** Deletes the objects, then the bucket: S3 refuses to delete a bucket that is not empty. */
  async deleteBucket(bucket: string): Promise<void> {
    for (const key of await this.keys(bucket)) await this.deleteObject(bucket, key);
    await this.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  }
}

/**
 * The policy setup generates for `bucket`, as the JSON shown to the user; `withoutAction` removes
 * one action from it, as a user editing the policy might (a statement left empty goes too).
 */
export function generatedPolicy(
  bucket: string,
  principalArn: string,
  withoutAction?: string,
): string {
  const policy = formatBucketPolicy(buildBucketPolicy(bucket, RGW_REGION, principalArn));
  if (withoutAction === undefined) return policy;
  const edited = JSON.parse(policy) as { Statement: { Action: string[] }[] };
  edited.Statement = edited.Statement.map((statement) => ({
    ...statement,
    Action: statement.Action.filter((action) => action !== withoutAction),
  })).filter((statement) => statement.Action.length > 0);
  return JSON.stringify(edited, null, 2);
}

/** The bot's verifier built as deps.ts builds it, signing as `user` (or with another secret). */
export function botVerifier(
  rgw: Rgw,
  user: RgwUser,
  secretAccessKey = user.secretAccessKey,
): { verifier: S3Verifier; clients: S3ClientFactory } {
  const clients = createS3ClientFactory({
    endpoint: rgw.endpoint,
    forcePathStyle: true,
    timeoutMs: TIMEOUT_MS,
    credentials: { accessKeyId: user.accessKeyId, secretAccessKey },
  });
  return { verifier: new S3Verifier(clients, { timeoutMs: TIMEOUT_MS }), clients };
}
