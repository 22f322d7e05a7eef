import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { HttpRequest } from '@smithy/core/protocols';
import type { FaultKind } from './s3-fault-server';

// What the parity tests of the S3 calls sent directly (src/verify/s3-direct.ts) share: the
// SDK's client with its requests kept instead of sent, small S3 servers, and the places and
// buckets every direct call must reach exactly as the SDK's own call does.

export const PARITY_CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const TIMEOUT_MS = 3000;

/** A deadline for one call, as the verifier gives each. */
export function deadline(ms = TIMEOUT_MS): AbortSignal {
  return AbortSignal.timeout(ms);
}

/** Whatever `call` threw, or fails the test if it did not throw. */
export async function thrown(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

/**
 * Runs `use` with a client (with `config`) of a small S3 made of `answer`; both are gone
 * afterwards, pass or fail.
 */
export async function withS3(
  answer: (request: IncomingMessage, response: ServerResponse) => void,
  use: (client: S3Client) => Promise<void>,
  config: S3ClientConfig = {},
): Promise<void> {
  const server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    credentials: PARITY_CREDENTIALS,
    ...config,
  });
  try {
    await use(client);
  } finally {
    client.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** A client whose requests are kept instead of sent, each answered 200 with `body`. */
export function capturingClient(
  config: S3ClientConfig,
  body = '<ListBucketResult></ListBucketResult>',
) {
  const sent: HttpRequest[] = [];
  const client = new S3Client({
    credentials: PARITY_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...config,
    requestHandler: {
      handle: async (request: HttpRequest) => {
        sent.push(request);
        return {
          response: {
            statusCode: 200,
            headers: { 'content-type': 'application/xml', 'x-amz-bucket-region': 'us-east-1' },
            body: Readable.from([Buffer.from(body)]),
          },
        };
      },
    } as unknown as S3ClientConfig['requestHandler'],
  });
  return { client, sent };
}

/** Partitions, dual-stack, FIPS, path style and S3-compatible endpoints. */
export const ENDPOINT_CONFIGS: [string, S3ClientConfig][] = [
  ['us-east-1', { region: 'us-east-1' }],
  ['eu-west-1', { region: 'eu-west-1' }],
  ['China', { region: 'cn-north-1' }],
  ['GovCloud', { region: 'us-gov-west-1' }],
  ['dual-stack', { region: 'ap-southeast-2', useDualstackEndpoint: true }],
  ['FIPS', { region: 'us-east-2', useFipsEndpoint: true }],
  ['path style', { region: 'eu-central-1', forcePathStyle: true }],
  ['an S3-compatible endpoint', { region: 'us-east-1', endpoint: 'http://127.0.0.1:9000' }],
  [
    'an endpoint with a base path',
    { region: 'us-east-1', endpoint: 'https://gateway.example:8443/s3', forcePathStyle: true },
  ],
];

/** Bucket names of every shape the endpoint rules tell apart. */
export const BUCKET_NAMES = [
  'data-lake-01',
  'a1b',
  'my.dotted.bucket',
  '123-digits-first',
  'x'.repeat(63),
];

/** Where a request goes and under which credential scope it is signed. */
export function placeOf(request: HttpRequest) {
  return {
    method: request.method,
    protocol: request.protocol,
    hostname: request.hostname,
    port: request.port,
    path: request.path,
    query: request.query,
    host: request.headers.host,
    scope: /Credential=([^,]+)/.exec(request.headers.authorization ?? '')?.[1],
  };
}

/** Every way the fault server can fail a call: each direct call must fail as the SDK's does. */
export const FAULT_KINDS: readonly FaultKind[] = [
  'AccessDenied',
  'PermanentRedirect',
  'NotFound',
  'InvalidAccessKeyId',
  'ExpiredToken',
  'InternalError',
  'SlowDown',
  'ServiceUnavailable',
  'KmsAccessDenied',
  'reset',
  'slow',
];
