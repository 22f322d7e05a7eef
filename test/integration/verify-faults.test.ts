import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { CHALLENGE_NOT_FOUND_TEXT } from '../../src/verify/explain';
import {
  CHECK_NAMES,
  type CheckName,
  type CheckOutcome,
  type VerificationReport,
  WRITE_CHECK_KEY,
} from '../../src/verify/report';
import type { VerifyTarget, WatchTarget } from '../../src/verify/verifier-port';
import { createS3ClientFactory, type S3ClientFactoryOptions } from '../../src/verify/s3-clients';
import { S3Verifier } from '../../src/verify/verifier';
import {
  DEFAULT_OWNER_ID,
  startFaultServer,
  type FaultKind,
  type FaultServer,
  type S3Operation,
} from '../support/s3-fault-server';

// Short, so that the slow-server tests finish quickly; they assert outcomes, never durations.
const TIMEOUT_MS = 300;
// The SDK retries a 5xx once, after up to a second for SlowDown: long enough for that retry.
const RETRYING_TIMEOUT_MS = 3000;
const PRINCIPAL_ARN = 'arn:aws:iam::123456789012:role/s3-destination-bot';
/** The canonical ID of an account other than the bucket owner's (the bot's, on an ACL bucket). */
const OTHER_OWNER_ID = 'be2fe74dc7e8f8d5c89e6dfd89e90b8fdecabf89e1a69d55e49b009fd9da59a7';
/** Base64 MD5 of an empty body: the checksum the write check must send. */
const EMPTY_BODY_MD5 = '1B2M2Y8AsgTpgAmY7PhCfg==';
const THE_REST_NOT_RUN = { list: 'not_run', write: 'not_run', ownership: 'not_run' } as const;

let server: FaultServer;
const factories: { destroy(): void }[] = [];

beforeAll(async () => {
  server = await startFaultServer();
});

beforeEach(() => server.reset());

afterAll(async () => {
  for (const factory of factories) factory.destroy();
  await server?.stop();
});

function verifierFor(
  options: Partial<S3ClientFactoryOptions> = {},
  timeoutMs = TIMEOUT_MS,
): S3Verifier {
  const factory = createS3ClientFactory({
    endpoint: server.endpoint,
    forcePathStyle: true,
    timeoutMs,
    ...options,
  });
  factories.push(factory);
  return new S3Verifier(factory, { timeoutMs });
}

/** A target whose challenge file the server does not list. */
function unlistedTarget(extra: Partial<VerifyTarget> = {}): VerifyTarget {
  return {
    bucket: 'acme-data',
    region: 'us-east-1',
    challengeKey: `s3-destination-challenge-file-${randomUUID()}`,
    ...extra,
  };
}

/** A target whose challenge file the server lists, owned by DEFAULT_OWNER_ID. */
function newTarget(extra: Partial<VerifyTarget> = {}): VerifyTarget {
  const target = unlistedTarget(extra);
  server.addObject(target.challengeKey);
  return target;
}

/** Runs the checks and asserts what must hold for every report: order, and no challenge name. */
async function verify(verifier: S3Verifier, target = newTarget()): Promise<VerificationReport> {
  const report = await verifier.verify(target);
  expect(report.checks.map((result) => result.check)).toEqual([...CHECK_NAMES]);
  expect(JSON.stringify(report)).not.toContain(target.challengeKey);
  return report;
}

/** Runs the monitor's routine check, which never names the challenge either. */
async function watch(verifier: S3Verifier, target: WatchTarget): Promise<VerificationReport> {
  const report = await verifier.watch(target);
  expect(JSON.stringify(report)).not.toContain(target.challengeKey);
  return report;
}

function check(report: VerificationReport, name: CheckName) {
  const result = report.checks.find((candidate) => candidate.check === name);
  if (!result) throw new Error(`no ${name} check in the report`);
  return result;
}

function outcomes(report: VerificationReport): Partial<Record<CheckName, CheckOutcome>> {
  return Object.fromEntries(report.checks.map((result) => [result.check, result.outcome]));
}

function operations(): S3Operation[] {
  return server.requests.map((request) => request.operation);
}

function writes() {
  return server.requests.filter((request) => request.operation === 'PutObject');
}

describe('verify', () => {
  test('a healthy bucket in the chosen region passes every check', async () => {
    const report = await verify(verifierFor());

    expect(report.ok).toBe(true);
    expect(outcomes(report)).toEqual({
      challenge: 'ok',
      list: 'ok',
      write: 'ok',
      ownership: 'ok',
      region: 'ok',
    });
    expect(check(report, 'region').text).toMatch(/us-east-1/);
    expect(report.challengeOwnerId).toBe(DEFAULT_OWNER_ID);
  });

  test('the checks make one call each, and the only write is the write check', async () => {
    const target = newTarget();

    await verify(verifierFor(), target);

    expect(operations().sort()).toEqual([
      'HeadBucket',
      'HeadObject',
      'ListObjectsV2',
      'ListObjectsV2',
      'PutObject',
    ]);
    expect(writes().map((request) => request.key)).toEqual([WRITE_CHECK_KEY]);
    const listings = server.requests.filter((request) => request.operation === 'ListObjectsV2');
    expect(listings.map((request) => request.query)).toEqual([
      expect.objectContaining({
        prefix: target.challengeKey,
        'fetch-owner': 'true',
        'max-keys': '1',
      }),
      expect.objectContaining({ prefix: WRITE_CHECK_KEY, 'fetch-owner': 'true' }),
    ]);
  });

  test('nothing is listed or written before the challenge file has answered', async () => {
    // Held back, so that a call sent alongside it would arrive before its answer.
    server.setFault({ op: 'HeadObject', kind: 'slow', delayMs: 100 });

    await verify(verifierFor());

    const steps = server.timeline.map((entry) => `${entry.event} ${entry.request.operation}`);
    const challengeAnswered = steps.indexOf('answered HeadObject');
    expect(challengeAnswered).toBeGreaterThan(-1);
    expect(steps.indexOf('received HeadBucket')).toBeLessThan(challengeAnswered);
    expect(steps.indexOf('received ListObjectsV2')).toBeGreaterThan(challengeAnswered);
    expect(steps.indexOf('received PutObject')).toBeGreaterThan(challengeAnswered);
    expect(steps.lastIndexOf('received ListObjectsV2')).toBeGreaterThan(
      steps.indexOf('answered PutObject'),
    );
  });

  test.each<[string, FaultKind, CheckOutcome, S3Operation[]]>([
    ['is missing (404)', 'NotFound', 'not_found', ['HeadBucket', 'HeadObject']],
    // A bodiless 403 is followed by one listing, which only reads, to learn whose fault it is.
    [
      'is denied (403)',
      'AccessDenied',
      'access_denied',
      ['HeadBucket', 'HeadObject', 'ListObjectsV2'],
    ],
  ])('nothing is written when the challenge file %s', async (_label, kind, outcome, sent) => {
    server.setFault({ op: 'HeadObject', kind });

    const report = await verify(verifierFor());

    expect(outcomes(report)).toEqual({ challenge: outcome, ...THE_REST_NOT_RUN, region: 'ok' });
    expect(operations().sort()).toEqual(sent);
    for (const name of ['list', 'write', 'ownership'] as const) {
      expect(check(report, name)).toMatchObject({ status: 'not_run', passed: false });
      expect(check(report, name).text).toMatch(/challenge file must pass first/);
    }
  });

  test.each<[S3Operation, CheckName, Partial<Record<CheckName, CheckOutcome>>, RegExp]>([
    [
      'HeadObject',
      'challenge',
      { challenge: 'access_denied', ...THE_REST_NOT_RUN, region: 'ok' },
      /\(HTTP 403\).*bucket policy is missing, or it was written for another principal/,
    ],
    [
      'ListObjectsV2',
      'list',
      { challenge: 'ok', list: 'access_denied', write: 'ok', ownership: 'not_run', region: 'ok' },
      /\(AccessDenied, HTTP 403\).*missing `s3:ListBucket`/,
    ],
    [
      'PutObject',
      'write',
      { challenge: 'ok', list: 'ok', write: 'access_denied', ownership: 'not_run', region: 'ok' },
      /\(AccessDenied, HTTP 403\).*missing `s3:PutObject`/,
    ],
    [
      'HeadBucket',
      'region',
      { challenge: 'ok', list: 'ok', write: 'ok', ownership: 'ok', region: 'access_denied' },
      /\(HTTP 403\).*missing `s3:ListBucket`, which HeadBucket needs/,
    ],
  ])('403 AccessDenied on %s fails the %s check with its own fix', async (op, name, all, text) => {
    server.setFault({ op, kind: 'AccessDenied' });

    const report = await verify(verifierFor());

    expect(report.ok).toBe(false);
    expect(report.operatorFault).toBe(false);
    expect(report.inconclusive).toBe(false);
    expect(outcomes(report)).toEqual(all);
    expect(check(report, name)).toMatchObject({ status: 'failed', passed: false });
    expect(check(report, name).text).toMatch(text);
    expect(check(report, name).text).toMatch(/explicit Deny .* SCP or RCP, or Requester Pays/);
  });

  test.each<[S3Operation]>([['PutObject'], ['ListObjectsV2']])(
    'an ownership check left out after a 403 on %s does not send the user to the passed challenge file',
    async (op) => {
      server.setFault({ op, kind: 'AccessDenied' });

      const report = await verify(verifierFor());

      expect(check(report, 'challenge').outcome).toBe('ok');
      expect(check(report, 'ownership').status).toBe('not_run');
      expect(check(report, 'ownership').text).not.toMatch(/challenge file/);
    },
  );

  test('a HeadBucket 403 that names the bucket region still answers the region check', async () => {
    server.setFault({ op: 'HeadBucket', kind: 'AccessDenied', region: 'eu-west-1' });

    const report = await verify(verifierFor());

    expect(check(report, 'region').outcome).toBe('wrong_region');
    expect(check(report, 'region').text).toMatch(/^The bucket is in eu-west-1, not us-east-1\./);
  });

  test('a bucket in another region fails the region check naming the real region', async () => {
    server.setFault({ op: 'HeadBucket', kind: 'ok', region: 'eu-west-1' });

    const report = await verify(verifierFor());

    expect(outcomes(report)).toEqual({
      challenge: 'ok',
      list: 'ok',
      write: 'ok',
      ownership: 'ok',
      region: 'wrong_region',
    });
    expect(check(report, 'region').text).toMatch(/^The bucket is in eu-west-1, not us-east-1\./);
    expect(check(report, 'region').text).toMatch(/choose eu-west-1/);
  });

  test('301 PermanentRedirect is a wrong region, named from x-amz-bucket-region, and nothing is written', async () => {
    server.setFault({ kind: 'PermanentRedirect', region: 'eu-west-1' });

    const report = await verify(verifierFor());

    expect(report.ok).toBe(false);
    expect(report.operatorFault).toBe(false);
    expect(outcomes(report)).toEqual({
      challenge: 'wrong_region',
      ...THE_REST_NOT_RUN,
      region: 'wrong_region',
    });
    for (const name of ['challenge', 'region'] as const) {
      expect(check(report, name).text).toMatch(/^The bucket is in eu-west-1, not us-east-1\./);
    }
    expect(writes()).toEqual([]);
  });

  test('a 301 on a HEAD, which has no body, is still read from its header', async () => {
    server.setFault({ op: 'HeadObject', kind: 'PermanentRedirect', region: 'ap-southeast-2' });

    const report = await verify(verifierFor());

    expect(check(report, 'challenge').outcome).toBe('wrong_region');
    expect(check(report, 'challenge').text).toMatch(
      /^The bucket is in ap-southeast-2, not us-east-1/,
    );
  });

  test('NoSuchBucket is said by the checks that ran, the HEAD 404 included; the rest do not run', async () => {
    server.setFault({ kind: 'NoSuchBucket' });

    const report = await verify(verifierFor());

    expect(report.ok).toBe(false);
    expect(report.operatorFault).toBe(false);
    expect(outcomes(report)).toEqual({
      challenge: 'no_such_bucket',
      ...THE_REST_NOT_RUN,
      region: 'no_such_bucket',
    });
    for (const name of ['challenge', 'region'] as const) {
      expect(check(report, name).text).toMatch(/`acme-data` does not exist/);
    }
  });

  test('a missing challenge file gets the reference 404 text; the bot does not create it', async () => {
    server.setFault({ op: 'HeadObject', kind: 'NotFound' });

    const report = await verify(verifierFor());

    expect(outcomes(report)).toEqual({ challenge: 'not_found', ...THE_REST_NOT_RUN, region: 'ok' });
    expect(check(report, 'challenge').text.startsWith(`${CHALLENGE_NOT_FOUND_TEXT}\n`)).toBe(true);
    expect(writes()).toEqual([]);
  });

  test('a server slower than the timeout gives timeouts, and the verification still resolves', async () => {
    server.setFault({ kind: 'slow', delayMs: 10_000 });

    const report = await verify(verifierFor());

    expect(report).toMatchObject({
      ok: false,
      operatorFault: false,
      transient: true,
      inconclusive: true,
    });
    expect(outcomes(report)).toEqual({
      challenge: 'timeout',
      ...THE_REST_NOT_RUN,
      region: 'timeout',
    });
    for (const name of ['challenge', 'region'] as const) {
      expect(check(report, name).text).toMatch(/S3 did not answer in time/);
    }
  });

  test('a slow answer to one call times out that check only', async () => {
    server.setFault({ op: 'PutObject', kind: 'slow', delayMs: 10_000 });

    const report = await verify(verifierFor());

    expect(outcomes(report)).toEqual({
      challenge: 'ok',
      list: 'ok',
      write: 'timeout',
      ownership: 'not_run',
      region: 'ok',
    });
  });

  test('a reset connection is S3 not answering properly, not the bot’s fault', async () => {
    server.setFault({ kind: 'reset' });

    const report = await verify(verifierFor());

    expect(report).toMatchObject({ operatorFault: false, transient: true, inconclusive: true });
    expect(outcomes(report)).toEqual({
      challenge: 'transient',
      ...THE_REST_NOT_RUN,
      region: 'transient',
    });
    for (const name of ['challenge', 'region'] as const) {
      expect(check(report, name).text).toMatch(/S3 did not answer properly/);
      expect(check(report, name).text).toMatch(/Nothing to fix on your side/);
    }
  });

  test('an endpoint with nothing listening is unreachable and an operator fault', async () => {
    const gone = await startFaultServer();
    await gone.stop();

    const report = await verify(verifierFor({ endpoint: gone.endpoint }));

    expect(report.ok).toBe(false);
    expect(report.operatorFault).toBe(true);
    expect(outcomes(report)).toEqual({
      challenge: 'unreachable',
      ...THE_REST_NOT_RUN,
      region: 'unreachable',
    });
    for (const name of ['challenge', 'region'] as const) {
      expect(check(report, name).text).toMatch(/problem on the bot's side/);
    }
  });

  test('missing credentials are the operator’s fault, and nothing is sent', async () => {
    const missing = async () => {
      throw Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      });
    };

    const report = await verify(verifierFor({ credentials: missing }));

    expect(report.operatorFault).toBe(true);
    expect(outcomes(report)).toEqual({
      challenge: 'no_credentials',
      ...THE_REST_NOT_RUN,
      region: 'no_credentials',
    });
    for (const name of ['challenge', 'region'] as const) {
      expect(check(report, name).text).toMatch(/bot's own AWS credentials, not your bucket/);
    }
    expect(server.requests).toHaveLength(0);
  });

  test('credentials that never resolve still end in a timeout', async () => {
    const hanging = () => new Promise<never>(() => undefined);

    const report = await verify(verifierFor({ credentials: hanging }));

    expect(outcomes(report)).toEqual({
      challenge: 'timeout',
      ...THE_REST_NOT_RUN,
      region: 'timeout',
    });
  });

  test('a rejected access key is the operator’s fault, the bodiless HEAD 403s included', async () => {
    server.setFault({ kind: 'InvalidAccessKeyId' });

    const report = await verify(verifierFor());

    expect(report.operatorFault).toBe(true);
    expect(outcomes(report)).toEqual({
      challenge: 'no_credentials',
      ...THE_REST_NOT_RUN,
      region: 'no_credentials',
    });
  });

  test('an expired session token is the operator’s fault', async () => {
    server.setFault({ op: 'ListObjectsV2', kind: 'ExpiredToken' });

    const report = await verify(verifierFor());

    expect(check(report, 'list').outcome).toBe('no_credentials');
    expect(report.operatorFault).toBe(true);
  });

  test.each<[string, S3Operation, FaultKind, CheckName, string]>([
    ['503 SlowDown', 'PutObject', 'SlowDown', 'write', '(SlowDown, HTTP 503)'],
    [
      '503 ServiceUnavailable',
      'ListObjectsV2',
      'ServiceUnavailable',
      'list',
      '(ServiceUnavailable, HTTP 503)',
    ],
    ['500 InternalError', 'ListObjectsV2', 'InternalError', 'list', '(InternalError, HTTP 500)'],
    ['a bodiless HEAD 500', 'HeadObject', 'InternalError', 'challenge', '(HTTP 500)'],
  ])(
    '%s is transient: nothing to fix, nothing learnt about the bucket',
    async (_label, op, kind, name, code) => {
      server.setFault({ op, kind });

      const report = await verify(verifierFor({}, RETRYING_TIMEOUT_MS));

      expect(report).toMatchObject({
        ok: false,
        operatorFault: false,
        transient: true,
        inconclusive: true,
      });
      expect(check(report, name)).toMatchObject({ outcome: 'transient', status: 'failed' });
      expect(check(report, name).text).toContain(`S3 did not answer properly ${code}`);
      expect(check(report, name).text).toMatch(/Nothing to fix on your side/);
    },
  );

  test('a write denied by the bucket’s KMS key shows the key-policy statement for the principal', async () => {
    server.setFault({ op: 'PutObject', kind: 'KmsAccessDenied' });

    const report = await verify(verifierFor(), newTarget({ principalArn: PRINCIPAL_ARN }));

    expect(report).toMatchObject({ ok: false, operatorFault: false, inconclusive: false });
    expect(check(report, 'write')).toMatchObject({ outcome: 'kms_denied', status: 'failed' });
    const text = check(report, 'write').text;
    expect(text).toMatch(/\(AccessDenied, HTTP 403\)/);
    const statement = JSON.parse(/`(\{.*\})`/.exec(text)?.[1] ?? 'null') as unknown;
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Principal: { AWS: PRINCIPAL_ARN },
      Action: expect.arrayContaining(['kms:GenerateDataKey', 'kms:Decrypt']),
    });
  });

  describe('on a bucket with Object Lock', () => {
    let locked: FaultServer;
    beforeAll(async () => {
      locked = await startFaultServer({ objectLock: true });
    });
    beforeEach(() => locked.reset());
    afterAll(() => locked?.stop());

    test('the stand-in refuses a write without a checksum, as S3 does', async () => {
      const client = new S3Client({
        endpoint: locked.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'example' },
        requestChecksumCalculation: 'WHEN_REQUIRED',
      });
      try {
        await expect(
          client.send(
            new PutObjectCommand({ Bucket: 'acme-data', Key: 'k', Body: Buffer.alloc(0) }),
          ),
        ).rejects.toMatchObject({ name: 'InvalidRequest', $metadata: { httpStatusCode: 400 } });
      } finally {
        client.destroy();
      }
    });

    test('the write check passes, because it sends Content-MD5', async () => {
      const target = newTarget();
      locked.addObject(target.challengeKey);

      const report = await verify(verifierFor({ endpoint: locked.endpoint }), target);

      expect(report.ok).toBe(true);
      expect(check(report, 'write').outcome).toBe('ok');
      const write = locked.requests.filter((request) => request.operation === 'PutObject');
      expect(write.map((request) => request.headers['content-md5'])).toEqual([EMPTY_BODY_MD5]);
    });
  });

  describe('ownership', () => {
    test('the write-check object owned by the challenge file’s owner passes', async () => {
      const report = await verify(verifierFor());

      expect(check(report, 'ownership')).toMatchObject({ outcome: 'ok', status: 'passed' });
    });

    test('a write-check object owned by another account is a warning, and the report still passes', async () => {
      server.addObject(WRITE_CHECK_KEY, { ownerId: OTHER_OWNER_ID });

      const report = await verify(verifierFor());

      expect(report.ok).toBe(true);
      expect(check(report, 'ownership')).toMatchObject({
        outcome: 'owner_differs',
        status: 'warning',
        passed: true,
      });
      expect(check(report, 'ownership').text).toMatch(/Bucket owner enforced \(ACLs disabled\)/);
    });

    test('an engine that reports no owners skips the comparison', async () => {
      const target = newTarget();
      server.addObject(target.challengeKey, { ownerId: null });
      server.addObject(WRITE_CHECK_KEY, { ownerId: null });

      const report = await verify(verifierFor(), target);

      expect(report.ok).toBe(true);
      expect(check(report, 'ownership')).toMatchObject({ outcome: 'skipped', status: 'skipped' });
      expect(report.challengeOwnerId).toBeUndefined();
    });

    test('a challenge file that now has another owner than the one saved: changed hands, nothing written', async () => {
      const report = await verify(verifierFor(), newTarget({ expectedOwnerId: OTHER_OWNER_ID }));

      expect(report.ok).toBe(false);
      expect(outcomes(report)).toEqual({
        challenge: 'changed_hands',
        list: 'ok',
        write: 'not_run',
        ownership: 'not_run',
        region: 'ok',
      });
      expect(check(report, 'challenge').text).toMatch(/the bucket changed hands/);
      expect(writes()).toEqual([]);
    });

    test('a saved owner the listing cannot confirm (listing denied): nothing written', async () => {
      server.setFault({ op: 'ListObjectsV2', kind: 'AccessDenied' });

      const report = await verify(verifierFor(), newTarget({ expectedOwnerId: DEFAULT_OWNER_ID }));

      expect(report.ok).toBe(false);
      expect(outcomes(report)).toMatchObject({
        challenge: 'ok',
        list: 'access_denied',
        write: 'not_run',
        ownership: 'not_run',
      });
      expect(check(report, 'write').text).toMatch(/changed hands/);
      expect(writes()).toEqual([]);
    });

    test('a challenge file still owned by the saved owner passes', async () => {
      const report = await verify(verifierFor(), newTarget({ expectedOwnerId: DEFAULT_OWNER_ID }));

      expect(report.ok).toBe(true);
      expect(check(report, 'challenge').outcome).toBe('ok');
    });
  });
});

describe('watch', () => {
  function watchTarget(extra: Partial<WatchTarget> = {}): WatchTarget {
    return { ...newTarget(), checkRegion: false, ...extra };
  }

  test('a healthy bucket costs one listing, and nothing is written', async () => {
    const target = watchTarget();

    const report = await watch(verifierFor(), target);

    expect(report.ok).toBe(true);
    expect(outcomes(report)).toEqual({ challenge: 'ok', list: 'ok' });
    expect(report.regionChecked).toBe(false);
    expect(report.challengeOwnerId).toBe(DEFAULT_OWNER_ID);
    expect(operations()).toEqual(['ListObjectsV2']);
    expect(server.requests[0]?.query).toMatchObject({
      prefix: target.challengeKey,
      'fetch-owner': 'true',
    });
  });

  test('a missing challenge file is confirmed with HeadObject and gets the reference 404 text', async () => {
    const target = { ...unlistedTarget(), checkRegion: false };
    server.setFault({ op: 'HeadObject', kind: 'NotFound' });

    const report = await watch(verifierFor(), target);

    expect(report.ok).toBe(false);
    expect(outcomes(report)).toEqual({ challenge: 'not_found', list: 'ok' });
    expect(check(report, 'challenge').text.startsWith(`${CHALLENGE_NOT_FOUND_TEXT}\n`)).toBe(true);
    expect(operations()).toEqual(['ListObjectsV2', 'HeadObject']);
  });

  test('a denied listing is answered with S3’s own word on the challenge file', async () => {
    server.setFault({ op: 'ListObjectsV2', kind: 'AccessDenied' });

    const report = await watch(verifierFor(), watchTarget());

    expect(outcomes(report)).toEqual({ challenge: 'ok', list: 'access_denied' });
    expect(operations()).toEqual(['ListObjectsV2', 'HeadObject']);
    expect(writes()).toEqual([]);
  });

  test('the region is asked only when it is due', async () => {
    const report = await watch(verifierFor(), watchTarget({ checkRegion: true }));

    expect(outcomes(report)).toEqual({ challenge: 'ok', list: 'ok', region: 'ok' });
    expect(report.regionChecked).toBe(true);
    expect(operations().sort()).toEqual(['HeadBucket', 'ListObjectsV2']);
  });

  test('a challenge file with another owner than the one saved has changed hands', async () => {
    const report = await watch(verifierFor(), watchTarget({ expectedOwnerId: OTHER_OWNER_ID }));

    expect(report.ok).toBe(false);
    expect(check(report, 'challenge').outcome).toBe('changed_hands');
    expect(operations()).toEqual(['ListObjectsV2']);
  });
});

describe('turns', () => {
  test('at most maxConcurrent verifications run at once, each with its whole deadline', async () => {
    // Every S3 call takes 40 ms; a verification makes four rounds of calls (challenge with region,
    // list, write, ownership), so three one at a time take 480 ms, far past the 100 ms deadline: a
    // deadline that counted the wait would fail the later ones.
    server.setFault({ kind: 'slow', delayMs: 40 });
    const factory = createS3ClientFactory({
      endpoint: server.endpoint,
      forcePathStyle: true,
      timeoutMs: 100,
    });
    factories.push(factory);
    const verifier = new S3Verifier(factory, { timeoutMs: 100, maxConcurrent: 1 });
    const target = newTarget();

    const reports = await Promise.all([1, 2, 3].map(() => verifier.verify(target)));

    expect(reports.map((report) => report.ok)).toEqual([true, true, true]);
    // One verification at a time: its challenge and region calls are the only ones that overlap.
    let inFlight = 0;
    let peak = 0;
    for (const { event } of server.timeline) {
      inFlight += event === 'received' ? 1 : -1;
      peak = Math.max(peak, inFlight);
    }
    expect(peak).toBe(2);
    expect(server.requests).toHaveLength(3 * 5);
  });
});
