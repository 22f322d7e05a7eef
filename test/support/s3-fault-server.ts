import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The S3 operations the fault server tells apart (path-style requests only). */
export type S3Operation =
  | 'HeadBucket'
  | 'HeadObject'
  | 'ListObjectsV2'
  | 'ListObjects'
  | 'PutObject'
  | 'GetObject'
  | 'DeleteObject'
  | 'CreateBucket'
  | 'Other';

/** What to answer: a real S3 error, a success, or a network misbehaviour. */
export type FaultKind =
  | 'ok'
  | 'AccessDenied'
  | 'PermanentRedirect'
  | 'NoSuchBucket'
  | 'NotFound'
  | 'InvalidAccessKeyId'
  | 'ExpiredToken'
  | 'InternalError'
  | 'SlowDown'
  | 'ServiceUnavailable'
  /** 403 AccessDenied naming `kms:GenerateDataKey`: the bucket's default KMS key denies the caller. */
  | 'KmsAccessDenied'
  | 'slow'
  | 'reset';

export interface Fault {
  /** The operation this fault applies to; `*` (the default) is every operation without its own. */
  readonly op?: S3Operation | '*';
  readonly kind: FaultKind;
  /**
   * The bucket's region, sent as `x-amz-bucket-region`: on a redirect (default eu-west-1), on a
   * HeadBucket answered `ok`, and on a HeadBucket AccessDenied (real S3 sends it there too).
   */
  readonly region?: string;
  /** `slow` only: how long to wait before answering `ok` (default 10 s; stop() cuts it short). */
  readonly delayMs?: number;
}

export interface RecordedRequest {
  readonly method: string;
  /** The path as received, without the query string. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly operation: S3Operation;
  readonly bucket?: string;
  readonly key?: string;
  /** The request's headers, names in lower case (e.g. whether `content-md5` was sent). */
  readonly headers: Readonly<Record<string, string>>;
}

/** One step of the server's exchanges: a request arrived, or its answer went out (or was dropped). */
export interface TimelineEntry {
  readonly event: 'received' | 'answered';
  readonly request: RecordedRequest;
}

/** An object the server lists, with the owner ListObjectsV2 reports when asked to fetch it. */
export interface ListedObject {
  /** The owner's canonical user ID (default DEFAULT_OWNER_ID); null: the engine reports no owner. */
  readonly ownerId?: string | null;
}

export interface FaultServerOptions {
  /** Region a successful HeadBucket reports in `x-amz-bucket-region`; null sends none. */
  readonly bucketRegion?: string | null;
  /**
   * Answers PutObject as a bucket with Object Lock does: 400 InvalidRequest unless the request
   * carries `Content-MD5` or an `x-amz-checksum-*` header.
   */
  readonly objectLock?: boolean;
}

export interface FaultServer {
  /** `http://127.0.0.1:<port>`: use it with forcePathStyle. */
  readonly endpoint: string;
  /** Every request received, in order of arrival. */
  readonly requests: readonly RecordedRequest[];
  /** Every arrival and every answer, in order: what was asked before what was answered. */
  readonly timeline: readonly TimelineEntry[];
  /** Sets the answer for `fault.op` (or every operation), replacing the previous one for that op. */
  setFault(fault: Fault): void;
  /**
   * Makes ListObjectsV2 list `key` in every bucket. A PutObject answered `ok` adds its key too,
   * owned by DEFAULT_OWNER_ID unless the key was added here first with another owner.
   */
  addObject(key: string, object?: ListedObject): void;
  /** Back to answering every request successfully; forgets the requests and the objects. */
  reset(): void;
  stop(): Promise<void>;
}

const ERRORS = {
  AccessDenied: { status: 403, message: 'Access Denied' },
  PermanentRedirect: {
    status: 301,
    message:
      'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
  },
  NoSuchBucket: { status: 404, message: 'The specified bucket does not exist' },
  NoSuchKey: { status: 404, message: 'The specified key does not exist.' },
  InvalidAccessKeyId: {
    status: 403,
    message: 'The AWS Access Key Id you provided does not exist in our records.',
  },
  ExpiredToken: { status: 400, message: 'The provided token has expired.' },
  InternalError: { status: 500, message: 'We encountered an internal error. Please try again.' },
  SlowDown: { status: 503, message: 'Please reduce your request rate.' },
  ServiceUnavailable: { status: 503, message: 'Service is unable to handle request.' },
  InvalidRequest: {
    status: 400,
    message:
      'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters',
  },
} as const;

type ErrorCode = keyof typeof ERRORS;

/** The canonical user ID of the bucket's owner (AWS's documentation example), the default owner. */
export const DEFAULT_OWNER_ID = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be';

/** What S3 says when the bucket's default encryption key does not let the caller use it. */
const KMS_DENIED_MESSAGE =
  'User: arn:aws:iam::123456789012:role/loader is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const DEFAULT_REDIRECT_REGION = 'eu-west-1';
const DEFAULT_SLOW_MS = 10_000;

/**
 * Starts an HTTP server on a random loopback port that answers S3 requests the way S3 does, with
 * faults injected per operation: real status codes, headers and XML error bodies (none on HEAD).
 */
export async function startFaultServer(options: FaultServerOptions = {}): Promise<FaultServer> {
  const bucketRegion = options.bucketRegion === undefined ? 'us-east-1' : options.bucketRegion;
  const requests: RecordedRequest[] = [];
  const timeline: TimelineEntry[] = [];
  const objects = new Map<string, ListedObject>();
  let faults = new Map<S3Operation | '*', Fault>();
  const pendingTimers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    const request = describe(req);
    requests.push(request);
    timeline.push({ event: 'received', request });
    res.on('close', () => timeline.push({ event: 'answered', request }));
    // Read the whole body first (PutObject), so the client never sees its upload cut off.
    req.resume();
    req.on('end', () => {
      const fault = faults.get(request.operation) ?? faults.get('*') ?? { kind: 'ok' };
      answer(request, fault, req, res);
    });
  });

  function answer(
    request: RecordedRequest,
    fault: Fault,
    req: IncomingMessage,
    res: ServerResponse,
  ) {
    switch (fault.kind) {
      case 'ok':
        if (request.operation === 'PutObject' && options.objectLock && !hasChecksum(request)) {
          return answerError(request, res, 'InvalidRequest');
        }
        return succeed(request, res, fault.region ?? bucketRegion);
      case 'reset':
        return req.socket.destroy();
      case 'slow': {
        const timer = setTimeout(() => {
          pendingTimers.delete(timer);
          if (!res.destroyed) succeed(request, res, fault.region ?? bucketRegion);
        }, fault.delayMs ?? DEFAULT_SLOW_MS);
        pendingTimers.add(timer);
        res.on('close', () => {
          clearTimeout(timer);
          pendingTimers.delete(timer);
        });
        return;
      }
      case 'NotFound':
        return answerError(
          request,
          res,
          request.operation === 'HeadObject' ? 'NoSuchKey' : 'NoSuchBucket',
        );
      case 'PermanentRedirect':
        return answerError(
          request,
          res,
          'PermanentRedirect',
          fault.region ?? DEFAULT_REDIRECT_REGION,
        );
      case 'AccessDenied':
        return answerError(
          request,
          res,
          'AccessDenied',
          request.operation === 'HeadBucket' ? fault.region : undefined,
        );
      case 'KmsAccessDenied':
        return answerError(request, res, 'AccessDenied', undefined, KMS_DENIED_MESSAGE);
      default:
        return answerError(request, res, fault.kind);
    }
  }

  /** Answers `ok`: a write stores its key, a listing lists the stored keys under its prefix. */
  function succeed(request: RecordedRequest, res: ServerResponse, region: string | null) {
    if (
      request.operation === 'PutObject' &&
      request.key !== undefined &&
      !objects.has(request.key)
    ) {
      objects.set(request.key, {});
    }
    if (request.operation === 'ListObjectsV2') return answerListing(request, res, objects);
    return answerOk(request, res, region);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    timeline,
    setFault(fault) {
      faults.set(fault.op ?? '*', fault);
    },
    addObject(key, object = {}) {
      objects.set(key, object);
    },
    reset() {
      faults = new Map();
      requests.length = 0;
      timeline.length = 0;
      objects.clear();
    },
    async stop() {
      for (const timer of pendingTimers) clearTimeout(timer);
      pendingTimers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function describe(req: IncomingMessage): RecordedRequest {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  const query = Object.fromEntries(url.searchParams);
  const [, bucketPart = '', ...keyParts] = url.pathname.split('/');
  const bucket = bucketPart ? decodeURIComponent(bucketPart) : undefined;
  const key = keyParts.length > 0 ? decodeURIComponent(keyParts.join('/')) : undefined;
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join(', ') : (value ?? ''),
    ]),
  );
  return {
    method,
    path: url.pathname,
    query,
    operation: operationOf(method, bucket, key, query),
    ...(bucket === undefined ? {} : { bucket }),
    ...(key === undefined || key === '' ? {} : { key }),
    headers,
  };
}

function operationOf(
  method: string,
  bucket: string | undefined,
  key: string | undefined,
  query: Record<string, string>,
): S3Operation {
  if (bucket === undefined) return 'Other';
  const onObject = key !== undefined && key !== '';
  const onPlainResource = Object.keys(query).every((name) => name === 'x-id');
  switch (method) {
    case 'HEAD':
      return onObject ? 'HeadObject' : 'HeadBucket';
    case 'GET':
      if (onObject) return 'GetObject';
      if (query['list-type'] === '2') return 'ListObjectsV2';
      return onPlainResource ? 'ListObjects' : 'Other';
    case 'PUT':
      if (onObject) return 'PutObject';
      return onPlainResource ? 'CreateBucket' : 'Other';
    case 'DELETE':
      return onObject ? 'DeleteObject' : 'Other';
    default:
      return 'Other';
  }
}

/** Object Lock buckets take a write only with an integrity checksum. */
function hasChecksum(request: RecordedRequest): boolean {
  return Object.keys(request.headers).some(
    (name) => name === 'content-md5' || name.startsWith('x-amz-checksum-'),
  );
}

function amzHeaders(res: ServerResponse): void {
  res.setHeader('x-amz-request-id', randomBytes(8).toString('hex').toUpperCase());
  res.setHeader('x-amz-id-2', randomBytes(48).toString('base64'));
  res.setHeader('Date', new Date().toUTCString());
  res.setHeader('Server', 'AmazonS3');
}

function answerOk(request: RecordedRequest, res: ServerResponse, region: string | null): void {
  amzHeaders(res);
  switch (request.operation) {
    case 'HeadBucket':
      if (region) res.setHeader('x-amz-bucket-region', region);
      res.setHeader('x-amz-access-point-alias', 'false');
      res.writeHead(200).end();
      return;
    case 'HeadObject':
      res.setHeader('Content-Type', 'binary/octet-stream');
      res.setHeader('Content-Length', '0');
      res.setHeader('ETag', '"d41d8cd98f00b204e9800998ecf8427e"');
      res.setHeader('Last-Modified', new Date().toUTCString());
      res.writeHead(200).end();
      return;
    case 'PutObject':
      res.setHeader('ETag', '"d41d8cd98f00b204e9800998ecf8427e"');
      res.setHeader('Content-Length', '0');
      res.writeHead(200).end();
      return;
    default:
      res.setHeader('Content-Length', '0');
      res.writeHead(200).end();
  }
}

/**
 * ListObjectsV2 as S3 answers it: the stored keys under `prefix` in key order, up to `max-keys`,
 * each with its owner when `fetch-owner=true` and the object has one.
 */
function answerListing(
  request: RecordedRequest,
  res: ServerResponse,
  objects: ReadonlyMap<string, ListedObject>,
): void {
  amzHeaders(res);
  const prefix = request.query.prefix ?? '';
  const maxKeys = Number(request.query['max-keys'] ?? '1000');
  const matching = [...objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  const listed = matching.slice(0, maxKeys);
  const contents = listed.map((key) => {
    const { ownerId = DEFAULT_OWNER_ID } = objects.get(key) ?? {};
    const owner =
      request.query['fetch-owner'] === 'true' && ownerId
        ? `<Owner><ID>${escapeXml(ownerId)}</ID><DisplayName>owner-${escapeXml(ownerId.slice(0, 8))}</DisplayName></Owner>`
        : '';
    return `<Contents><Key>${escapeXml(key)}</Key><LastModified>${new Date().toISOString()}</LastModified><ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>0</Size>${owner}<StorageClass>STANDARD</StorageClass></Contents>`;
  });
  sendXml(
    res,
    200,
    `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${escapeXml(
      request.bucket ?? '',
    )}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${listed.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${
      matching.length > listed.length
    }</IsTruncated>${contents.join('')}</ListBucketResult>`,
  );
}

function answerError(
  request: RecordedRequest,
  res: ServerResponse,
  code: ErrorCode,
  region?: string,
  message: string = ERRORS[code].message,
): void {
  const { status } = ERRORS[code];
  amzHeaders(res);
  if (region) res.setHeader('x-amz-bucket-region', region);
  if (request.method === 'HEAD') {
    // S3 sends no body on HEAD: the SDK only sees the status code and headers.
    res.setHeader('Content-Type', 'application/xml');
    res.writeHead(status).end();
    return;
  }
  const extra: string[] = [];
  if (code === 'PermanentRedirect') {
    extra.push(`<Endpoint>${escapeXml(`${request.bucket}.s3.${region}.amazonaws.com`)}</Endpoint>`);
    extra.push(`<Bucket>${escapeXml(request.bucket ?? '')}</Bucket>`);
  }
  if (code === 'NoSuchBucket')
    extra.push(`<BucketName>${escapeXml(request.bucket ?? '')}</BucketName>`);
  if (code === 'NoSuchKey') extra.push(`<Key>${escapeXml(request.key ?? '')}</Key>`);
  if (code === 'InvalidAccessKeyId')
    extra.push('<AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId>');
  sendXml(
    res,
    status,
    `<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>${extra.join('')}<RequestId>${String(
      res.getHeader('x-amz-request-id'),
    )}</RequestId><HostId>${String(res.getHeader('x-amz-id-2'))}</HostId></Error>`,
  );
}

function sendXml(res: ServerResponse, status: number, xml: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  res.setHeader('Content-Type', 'application/xml');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.writeHead(status).end(body);
}

function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
