import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A canonical user id the stand-in reports as every object's owner. */
const OWNER_ID = '75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a';

export interface S3StandIn {
  readonly endpoint: string;
  /** Requests answered so far. */
  readonly answered: number;
  stop(): Promise<void>;
}

/**
 * The lightest S3 that passes every check, the monitor's routine one and Check and Save's four:
 * every bucket exists in us-east-1 (HeadBucket names it), every object is there (HeadObject) and
 * is listed with the same owner whatever key is asked for, and every write succeeds, each answer
 * after `delayMs` as real S3 takes its time. Nothing is stored, so it costs next to no CPU: the
 * figures are the app's.
 */
export async function startS3StandIn(delayMs: number): Promise<S3StandIn> {
  let answered = 0;
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const [, bucket = ''] = url.pathname.split('/');
    const prefix = url.searchParams.get('prefix');
    const body =
      request.method === 'GET' && url.searchParams.get('list-type') === '2'
        ? listing(bucket, prefix ?? '')
        : '';
    request.resume();
    setTimeout(() => {
      answered += 1;
      response.writeHead(200, {
        'content-type': 'application/xml',
        'x-amz-bucket-region': 'us-east-1',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
    }, delayMs);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get answered() {
      return answered;
    },
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listing(bucket: string, key: string): string {
  const contents = key
    ? `<Contents><Key>${escape(key)}</Key><LastModified>2025-01-01T00:00:00.000Z</LastModified><ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag><Size>0</Size><Owner><ID>${OWNER_ID}</ID></Owner><StorageClass>STANDARD</StorageClass></Contents>`
    : '';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Name>${escape(bucket)}</Name><Prefix>${escape(key)}</Prefix><KeyCount>${key ? 1 : 0}</KeyCount>` +
    `<MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`
  );
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
