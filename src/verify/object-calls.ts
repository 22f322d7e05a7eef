// Check and Save's other S3 calls, sent directly (s3-direct.ts) as the listing is: the challenge
// file's HeadObject, the bucket's HeadBucket and the write check's PutObject. Where the endpoint
// rules ask for what that path does not speak, the SDK's own command goes instead.
import { createHash } from 'node:crypto';
import {
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { sendDirect } from './s3-direct';

/** Base64 MD5 of the empty body: a checksum every S3 engine accepts (Object Lock requires one). */
const EMPTY_BODY_MD5 = createHash('md5').update(Buffer.alloc(0)).digest('base64');

const nothing = (): void => undefined;

/** HeadObject of `key`: resolves when it is there; otherwise S3's error, as the SDK names it. */
export function headObject(
  client: S3Client,
  bucket: string,
  key: string,
  abortSignal: AbortSignal,
): Promise<void> {
  return sendDirect(
    client,
    bucket,
    HeadObjectCommand,
    { operation: 'HeadObject', method: 'HEAD', key },
    abortSignal,
    {
      read: nothing,
      viaSdk: async () => {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal });
      },
    },
  );
}

/** HeadBucket: the bucket's region as S3 names it (`x-amz-bucket-region`), if it does. */
export function headBucket(
  client: S3Client,
  bucket: string,
  abortSignal: AbortSignal,
): Promise<string | undefined> {
  return sendDirect(
    client,
    bucket,
    HeadBucketCommand,
    { operation: 'HeadBucket', method: 'HEAD' },
    abortSignal,
    {
      read: ({ headers }) => headers['x-amz-bucket-region'],
      viaSdk: async () =>
        (await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal }))
          .BucketRegion,
    },
  );
}

/** PutObject of an empty object at `key`, with its Content-MD5. */
export function putEmptyObject(
  client: S3Client,
  bucket: string,
  key: string,
  abortSignal: AbortSignal,
): Promise<void> {
  const headers = {
    'content-md5': EMPTY_BODY_MD5,
    'content-type': 'application/octet-stream',
    'content-length': '0',
  };
  const request = { Bucket: bucket, Key: key, Body: Buffer.alloc(0), ContentMD5: EMPTY_BODY_MD5 };
  return sendDirect(
    client,
    bucket,
    PutObjectCommand,
    { operation: 'PutObject', method: 'PUT', key, query: { 'x-id': 'PutObject' }, headers },
    abortSignal,
    {
      read: nothing,
      viaSdk: async () => {
        await client.send(new PutObjectCommand(request), { abortSignal });
      },
    },
  );
}
