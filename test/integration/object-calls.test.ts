import { createHash } from 'node:crypto';
import {
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { HttpRequest } from '@smithy/core/protocols';
import { classifyS3Error } from '../../src/verify/classify-s3-error';
import { headBucket, headObject, putEmptyObject } from '../../src/verify/object-calls';
import type { CheckName } from '../../src/verify/report';
import { withTimedDirectCalls } from '../../src/verify/s3-direct';
import { AWKWARD_KEYS } from '../support/fixtures';
import { startFaultServer, type FaultServer } from '../support/s3-fault-server';
import { startLocalS3, type LocalS3 } from '../support/s3-local';
import {
  BUCKET_NAMES,
  capturingClient,
  deadline,
  ENDPOINT_CONFIGS,
  FAULT_KINDS,
  PARITY_CREDENTIALS,
  placeOf,
  thrown,
  withS3,
} from '../support/s3-parity';

// Check and Save's HeadObject, HeadBucket and PutObject leave the SDK's command pipeline as the
// one-key listing did (src/verify/s3-direct.ts): held here to the SDK's own calls, made with the
// options the app's clients use (src/verify/s3-clients.ts).

const EMPTY_BODY_MD5 = createHash('md5').update(Buffer.alloc(0)).digest('base64');
const KEY = "loads/s3d-challenge a&b+c=d/ü (1)!*'.txt";

/** One call, sent directly and by the SDK, and the check whose outcome it answers. */
interface Call {
  readonly operation: 'HeadObject' | 'HeadBucket' | 'PutObject';
  readonly check: CheckName;
  direct(client: S3Client, bucket: string, signal?: AbortSignal): Promise<unknown>;
  sdk(client: S3Client, bucket: string): Promise<unknown>;
}

const CALLS: readonly Call[] = [
  {
    operation: 'HeadObject',
    check: 'challenge',
    direct: (client, bucket, signal) => headObject(client, bucket, KEY, signal ?? deadline()),
    sdk: async (client, bucket) => {
      await client.send(new HeadObjectCommand({ Bucket: bucket, Key: KEY }));
    },
  },
  {
    operation: 'HeadBucket',
    check: 'region',
    direct: (client, bucket, signal) => headBucket(client, bucket, signal ?? deadline()),
    sdk: async (client, bucket) =>
      (await client.send(new HeadBucketCommand({ Bucket: bucket }))).BucketRegion,
  },
  {
    operation: 'PutObject',
    check: 'write',
    direct: (client, bucket, signal) => putEmptyObject(client, bucket, KEY, signal ?? deadline()),
    sdk: async (client, bucket) => {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: KEY,
          Body: Buffer.alloc(0),
          ContentMD5: EMPTY_BODY_MD5,
        }),
      );
    },
  },
];

/** The headers a call's meaning rests on, beside where it goes. */
function meaningful(request: HttpRequest) {
  const { headers } = request;
  return {
    ...placeOf(request),
    sha256: headers['x-amz-content-sha256'],
    md5: headers['content-md5'],
    type: headers['content-type'],
    length: headers['content-length'],
  };
}

describe.each(CALLS)('$operation sent directly goes where the SDK goes', (call) => {
  test.each(ENDPOINT_CONFIGS)('%s', async (_label, config) => {
    const { client, sent } = capturingClient(config);
    for (const bucket of BUCKET_NAMES) {
      sent.length = 0;
      const sdkAnswer = await call.sdk(client, bucket);
      const directAnswer = await call.direct(client, bucket);
      const [sdk, direct] = sent;
      expect(meaningful(direct)).toEqual(meaningful(sdk));
      expect(directAnswer).toEqual(sdkAnswer);
      const signed =
        call.operation === 'PutObject' ? 'content-length;content-md5;content-type;' : '';
      expect(direct.headers.authorization).toMatch(
        new RegExp(
          `SignedHeaders=${signed}host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$`,
        ),
      );
    }
    client.destroy();
  });

  test('every awkward key is encoded as the SDK encodes it', async () => {
    if (call.operation === 'HeadBucket') return;
    const { client, sent } = capturingClient({ region: 'us-east-1' });
    for (const key of AWKWARD_KEYS) {
      sent.length = 0;
      await client.send(new HeadObjectCommand({ Bucket: 'data-lake-01', Key: key }));
      await headObject(client, 'data-lake-01', key, deadline());
      expect(sent[1].path).toBe(sent[0].path);
    }
    client.destroy();
  });

  test('a role’s session token is sent and signed, and the call timed like an SDK call', async () => {
    const { client, sent } = capturingClient({
      region: 'us-east-1',
      credentials: { ...PARITY_CREDENTIALS, sessionToken: 'session-token-1' },
    });
    const timed: string[] = [];
    withTimedDirectCalls(client, (operation) => timed.push(operation));

    await call.direct(client, 'data-lake-01');

    expect(sent[0].headers['x-amz-security-token']).toBe('session-token-1');
    expect(sent[0].headers.authorization).toContain('x-amz-security-token');
    expect(timed).toEqual([call.operation]);
    client.destroy();
  });
});

describe('against an S3 that misbehaves, each fails as the SDK fails', () => {
  let server: FaultServer;
  let client: S3Client;

  beforeAll(async () => {
    server = await startFaultServer({ objectLock: true });
    // As src/verify/s3-clients.ts builds the app's clients.
    client = new S3Client({
      region: 'us-east-1',
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: PARITY_CREDENTIALS,
      maxAttempts: 2,
      followRegionRedirects: false,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { requestTimeout: 500, throwOnRequestTimeout: true },
    });
  });

  beforeEach(() => server.reset());

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  const cases = CALLS.flatMap((call) =>
    FAULT_KINDS.map((kind) => [call.operation, kind, call] as const),
  );

  test.each(cases)('%s: %s', async (_operation, kind, call) => {
    server.setFault({ op: call.operation, kind, delayMs: 2000 });
    const sdk = classifyS3Error(await thrown(call.sdk(client, 'bucket-1')), call.check);
    const asked = server.requests.length;
    const signal = deadline(kind === 'slow' ? 500 : undefined);
    const direct = classifyS3Error(
      await thrown(call.direct(client, 'bucket-1', signal)),
      call.check,
    );

    expect(direct).toEqual(sdk);
    // Tried again exactly when the SDK tries again (a slow answer is cut short by the deadline).
    if (kind !== 'slow') expect(server.requests.length - asked).toBe(asked);
  });

  test('answers as the SDK does when all is well, and the write carries the checksum Object Lock asks for', async () => {
    for (const call of CALLS) {
      expect(await call.direct(client, 'bucket-1')).toEqual(await call.sdk(client, 'bucket-1'));
    }
    expect(await headBucket(client, 'bucket-1', deadline())).toBe('us-east-1');
    const writes = server.requests.filter((request) => request.operation === 'PutObject');
    expect(writes).toHaveLength(2);
    expect(writes[1].headers['content-md5']).toBe(EMPTY_BODY_MD5);
  });

  test('a write answered 200 with S3’s error in its body is S3 failing, as the SDK reads it', async () => {
    // A HEAD answer has no body to carry one; the listing's case is in key-listing.test.ts.
    const [, , write] = CALLS;
    let requests = 0;
    const failing = '<Error><Code>InternalError</Code><Message>Try again.</Message></Error>';
    await withS3(
      (_request, response) => {
        requests += 1;
        response.writeHead(200, { 'content-type': 'application/xml' }).end(failing);
      },
      async (odd) => {
        const sdk = classifyS3Error(await thrown(write.sdk(odd, 'bucket-1')), 'write');
        const asked = requests;
        const direct = classifyS3Error(await thrown(write.direct(odd, 'bucket-1')), 'write');
        expect(direct).toEqual(sdk);
        expect(direct.outcome).toBe('transient');
        expect(requests - asked).toBe(asked);
      },
      { maxAttempts: 2 },
    );
  });
});

describe('on a real S3 engine', () => {
  let s3: LocalS3;

  beforeAll(async () => {
    s3 = await startLocalS3();
    await s3.createBucket('direct-calls');
  });

  afterAll(() => s3?.stop());

  test('finds objects with awkward keys, writes one, and names what is missing as the SDK does', async () => {
    for (const key of AWKWARD_KEYS) await s3.putObject('direct-calls', key);
    for (const key of AWKWARD_KEYS) {
      await expect(headObject(s3.client, 'direct-calls', key, deadline())).resolves.toBeUndefined();
    }
    await putEmptyObject(s3.client, 'direct-calls', 'written/by direct (1).txt', deadline());
    expect(await s3.objectExists('direct-calls', 'written/by direct (1).txt')).toBe(true);

    const missingKey = await thrown(headObject(s3.client, 'direct-calls', 'nope', deadline()));
    expect(classifyS3Error(missingKey, 'challenge')).toEqual(
      classifyS3Error(
        await thrown(
          s3.client.send(new HeadObjectCommand({ Bucket: 'direct-calls', Key: 'nope' })),
        ),
        'challenge',
      ),
    );
    expect(classifyS3Error(missingKey, 'challenge').outcome).toBe('not_found');
    const missingBucket = await thrown(headBucket(s3.client, 'no-such-bucket-here', deadline()));
    expect(classifyS3Error(missingBucket, 'region')).toEqual(
      classifyS3Error(
        await thrown(s3.client.send(new HeadBucketCommand({ Bucket: 'no-such-bucket-here' }))),
        'region',
      ),
    );
  });
});
