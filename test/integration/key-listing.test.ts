import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { ListObjectsV2Command, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { classifyS3Error } from '../../src/verify/classify-s3-error';
import { listKey, type KeyListing } from '../../src/verify/key-listing';
import { withTimedDirectCalls } from '../../src/verify/s3-direct';
import { AWKWARD_KEYS, hostileListing } from '../support/fixtures';
import { startFaultServer, type FaultServer } from '../support/s3-fault-server';
import { LOCAL_S3_CREDENTIALS, startLocalS3, type LocalS3 } from '../support/s3-local';
import {
  BUCKET_NAMES,
  capturingClient,
  deadline,
  ENDPOINT_CONFIGS,
  FAULT_KINDS,
  PARITY_CREDENTIALS as CREDENTIALS,
  placeOf,
  thrown,
  withS3,
} from '../support/s3-parity';

const TIMEOUT_MS = 3000;

/** The SDK's own listing of `key`, read the way the lean one reads it. */
async function listWithSdk(client: S3Client, bucket: string, key: string): Promise<KeyListing> {
  const output = await client.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1, FetchOwner: true }),
  );
  const found = output.Contents?.find((object) => object.Key === key);
  const ownerId = found?.Owner?.ID;
  return { listed: found !== undefined, ...(ownerId ? { ownerId } : {}) };
}

describe('the one-key listing goes where the SDK goes, signed as the SDK signs', () => {
  const key = 'loads/s3d-challenge a&b+c=d/ü.txt';

  test.each(ENDPOINT_CONFIGS)('%s', async (_label, config) => {
    const { client, sent } = capturingClient(config);
    for (const bucket of BUCKET_NAMES) {
      sent.length = 0;
      await listWithSdk(client, bucket, key);
      await listKey(client, bucket, key, deadline());
      const [sdk, lean] = sent;
      expect(placeOf(lean)).toEqual(placeOf(sdk));
      expect(lean.headers['x-amz-content-sha256']).toBe(sdk.headers['x-amz-content-sha256']);
      expect(lean.headers.authorization).toMatch(
        /SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
      );
    }
    client.destroy();
  });

  test('a role’s session token is sent and signed', async () => {
    const { client, sent } = capturingClient({
      region: 'us-east-1',
      credentials: { ...CREDENTIALS, sessionToken: 'session-token-1' },
    });
    await listKey(client, 'data-lake-01', key, deadline());
    expect(sent[0].headers['x-amz-security-token']).toBe('session-token-1');
    expect(sent[0].headers.authorization).toContain('x-amz-security-token');
    client.destroy();
  });

  test('each listing is timed like an SDK call', async () => {
    const { client } = capturingClient({ region: 'us-east-1' });
    const timed: string[] = [];
    withTimedDirectCalls(client, (operation, seconds) => {
      expect(seconds).toBeGreaterThanOrEqual(0);
      timed.push(operation);
    });
    await listKey(client, 'data-lake-01', key, deadline());
    const { client: odd } = oddClient('<html>captive portal</html>');
    withTimedDirectCalls(odd, (operation) => timed.push(`${operation} (failed)`));
    await thrown(listKey(odd, 'data-lake-01', key, deadline()));
    expect(timed).toEqual(['ListObjectsV2', 'ListObjectsV2 (failed)']);
    client.destroy();
    odd.destroy();
  });
});

describe('against an S3 that misbehaves, it fails as the SDK fails', () => {
  let server: FaultServer;
  let client: S3Client;

  beforeAll(async () => {
    server = await startFaultServer();
    client = new S3Client({
      region: 'us-east-1',
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: CREDENTIALS,
      maxAttempts: 2,
      followRegionRedirects: false,
      requestHandler: { requestTimeout: 500, throwOnRequestTimeout: true },
    });
  });

  beforeEach(() => server.reset());

  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  test('an object listed with its owner, another key with it as prefix, nothing at all', async () => {
    server.addObject('challenge/a.txt', { ownerId: 'owner-1' });
    server.addObject('challenge/ab.txt');
    for (const probe of ['challenge/a.txt', 'challenge/a', 'challenge/none.txt']) {
      const lean = await listKey(client, 'bucket-1', probe, deadline());
      expect(lean).toEqual(await listWithSdk(client, 'bucket-1', probe));
    }
    expect(await listKey(client, 'bucket-1', 'challenge/a.txt', deadline())).toEqual({
      listed: true,
      ownerId: 'owner-1',
    });
  });

  test.each(FAULT_KINDS)('%s', async (kind) => {
    server.setFault({ op: 'ListObjectsV2', kind, delayMs: 2000 });
    const sdk = classifyS3Error(await thrown(listWithSdk(client, 'bucket-1', 'k')), 'list');
    const asked = server.requests.length;
    const leanError = await thrown(
      listKey(client, 'bucket-1', 'k', AbortSignal.timeout(kind === 'slow' ? 500 : TIMEOUT_MS)),
    );
    expect(classifyS3Error(leanError, 'list')).toEqual(sdk);
    expect(sdk.outcome).not.toBe('unexpected');
    // Tried again exactly when the SDK tries again (a slow answer is cut short by the deadline).
    if (kind !== 'slow') expect(server.requests.length - asked).toBe(asked);
  });

  test.each([
    ['a 503', (response: ServerResponse) => response.writeHead(503).end()],
    [
      'a 200 whose body is S3’s error',
      (response: ServerResponse) =>
        response
          .writeHead(200, { 'content-type': 'application/xml' })
          .end('<Error><Code>InternalError</Code><Message>Try again.</Message></Error>'),
    ],
    ['a dropped connection', (response: ServerResponse) => response.socket?.destroy()],
  ])('%s once is tried again, as the SDK does', async (_label, fail) => {
    let requests = 0;
    await withS3(
      (_request, response) => {
        requests += 1;
        if (requests === 1) return fail(response);
        response.writeHead(200, { 'content-type': 'application/xml' });
        response.end('<ListBucketResult><KeyCount>0</KeyCount></ListBucketResult>');
      },
      async (flaky) => {
        await expect(listKey(flaky, 'bucket-1', 'k', deadline())).resolves.toEqual({
          listed: false,
        });
        expect(requests).toBe(2);
      },
    );
  });

  test('a clock far from S3’s is corrected from its Date header, and the refused listing tried again', async () => {
    const serverClock = Date.now() + 60 * 60 * 1000;
    const dated: number[] = [];
    await withS3(
      (request, response) => {
        const amzDate = String(request.headers['x-amz-date']);
        const at = Date.parse(
          amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'),
        );
        dated.push(at);
        const skewed = Math.abs(at - serverClock) > 15 * 60 * 1000;
        response.writeHead(skewed ? 403 : 200, {
          date: new Date(serverClock).toUTCString(),
          'content-type': 'application/xml',
        });
        response.end(
          skewed
            ? '<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message></Error>'
            : '<ListBucketResult><KeyCount>0</KeyCount></ListBucketResult>',
        );
      },
      async (late) => {
        await expect(listKey(late, 'bucket-1', 'k', deadline())).resolves.toEqual({
          listed: false,
        });
        await expect(listKey(late, 'bucket-1', 'k', deadline())).resolves.toEqual({
          listed: false,
        });
      },
    );

    expect(dated).toHaveLength(3);
    expect(Math.abs(dated[1] - serverClock)).toBeLessThan(60_000);
    expect(Math.abs(dated[2] - serverClock)).toBeLessThan(60_000);
  });

  test.each([
    ['nothing after it', ''],
    [
      'a genuine listing of the key after it',
      '<Contents><Key>k</Key></Contents></ListBucketResult>',
    ],
  ])(
    'a 256 KB answer of "<Contents " repeated, %s, is read in one pass as what it is: not a listing',
    async (_label, tail) => {
      const body = hostileListing(256, tail);
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(256 * 1024);
      const { client: hostile } = oddClient(body);
      try {
        const error = await thrown(listKey(hostile, 'bucket-1', 'k', deadline()));
        expect((error as Error).name).toBe('S3UnreadableListing');
        expect(classifyS3Error(error, 'list').outcome).toBe('unexpected');
      } finally {
        hostile.destroy();
      }
    },
  );

  test('an answer that is not a listing is an error, not an empty bucket', async () => {
    const { client: odd } = oddClient('<html>captive portal</html>');
    const error = await thrown(listKey(odd, 'bucket-1', 'k', deadline()));
    expect(classifyS3Error(error, 'list').outcome).toBe('unexpected');
    odd.destroy();
  });
});

function oddClient(body: string) {
  const client = new S3Client({
    region: 'us-east-1',
    credentials: CREDENTIALS,
    requestHandler: {
      handle: async () => ({
        response: { statusCode: 200, headers: {}, body: Readable.from([Buffer.from(body)]) },
      }),
    } as unknown as S3ClientConfig['requestHandler'],
  });
  return { client };
}

describe('on a real S3 engine', () => {
  let s3: LocalS3;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startLocalS3();
    await s3.createBucket('lean-listing');
    client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: LOCAL_S3_CREDENTIALS,
    });
  });

  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
  });

  test('keys with spaces, entities, plus signs and non-ASCII are found exactly', async () => {
    for (const key of AWKWARD_KEYS) await s3.putObject('lean-listing', key);
    for (const key of AWKWARD_KEYS) {
      const lean = await listKey(client, 'lean-listing', key, deadline());
      expect(lean).toMatchObject({ listed: true });
      expect(lean).toEqual(await listWithSdk(client, 'lean-listing', key));
    }
    await expect(listKey(client, 'lean-listing', 'plain', deadline())).resolves.toEqual({
      listed: false,
    });
  });

  test('a missing bucket and an unknown key id are named as the SDK names them', async () => {
    const missing = await thrown(listKey(client, 'no-such-bucket-here', 'k', deadline()));
    expect(classifyS3Error(missing, 'list')).toEqual(
      classifyS3Error(await thrown(listWithSdk(client, 'no-such-bucket-here', 'k')), 'list'),
    );
    expect(classifyS3Error(missing, 'list').outcome).toBe('no_such_bucket');
    const stranger = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'NOT-S3RVER', secretAccessKey: 'S3RVER' },
    });
    const denied = await thrown(listKey(stranger, 'lean-listing', 'plain.txt', deadline()));
    expect(classifyS3Error(denied, 'list')).toEqual(
      classifyS3Error(await thrown(listWithSdk(stranger, 'lean-listing', 'plain.txt')), 'list'),
    );
    expect(classifyS3Error(denied, 'list').outcome).toBe('no_credentials');
    stranger.destroy();
  });
});
