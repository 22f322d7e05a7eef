import { randomUUID } from 'node:crypto';
import { CHALLENGE_NOT_FOUND_TEXT } from '../../src/verify/explain';
import {
  CHECK_NAMES,
  type CheckName,
  type CheckOutcome,
  type VerificationReport,
  type VerifyTarget,
  WRITE_CHECK_KEY,
} from '../../src/verify/report';
import { createS3ClientFactory, type S3ClientFactoryOptions } from '../../src/verify/s3-clients';
import { S3Verifier } from '../../src/verify/verifier';
import { startFaultServer, type FaultServer, type S3Operation } from '../support/s3-fault-server';

// Short, so that the slow-server tests finish quickly; they assert outcomes, never durations.
const TIMEOUT_MS = 300;

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

function verifierFor(options: Partial<S3ClientFactoryOptions> = {}): S3Verifier {
  const factory = createS3ClientFactory({
    endpoint: server.endpoint,
    forcePathStyle: true,
    timeoutMs: TIMEOUT_MS,
    ...options,
  });
  factories.push(factory);
  return new S3Verifier(factory, { timeoutMs: TIMEOUT_MS });
}

function newTarget(): VerifyTarget {
  return {
    bucket: 'acme-data',
    region: 'us-east-1',
    challengeKey: `s3-destination-challenge-file-${randomUUID()}`,
  };
}

/** Runs the checks and asserts what must hold for every report: order, and no challenge name. */
async function verify(verifier: S3Verifier, target = newTarget()): Promise<VerificationReport> {
  const report = await verifier.verify(target);
  expect(report.checks.map((result) => result.check)).toEqual([...CHECK_NAMES]);
  expect(JSON.stringify(report)).not.toContain(target.challengeKey);
  return report;
}

function check(report: VerificationReport, name: CheckName) {
  const result = report.checks.find((candidate) => candidate.check === name);
  if (!result) throw new Error(`no ${name} check in the report`);
  return result;
}

function outcomes(report: VerificationReport): Record<CheckName, CheckOutcome> {
  return Object.fromEntries(
    report.checks.map((result) => [result.check, result.outcome]),
  ) as Record<CheckName, CheckOutcome>;
}

test('a healthy bucket in the chosen region passes every check', async () => {
  const report = await verify(verifierFor());

  expect(report.ok).toBe(true);
  expect(outcomes(report)).toEqual({ challenge: 'ok', list: 'ok', write: 'ok', region: 'ok' });
  expect(check(report, 'region').text).toMatch(/us-east-1/);
});

test('the checks make exactly one call each, and the only write is the write check', async () => {
  const target = newTarget();

  await verify(verifierFor(), target);

  expect(server.requests.map((request) => request.operation).sort()).toEqual([
    'HeadBucket',
    'HeadObject',
    'ListObjectsV2',
    'PutObject',
  ]);
  const writes = server.requests.filter((request) => request.method === 'PUT');
  expect(writes.map((request) => request.key)).toEqual([WRITE_CHECK_KEY]);
  expect(server.requests.find((r) => r.operation === 'ListObjectsV2')?.query['max-keys']).toBe('1');
});

test.each<[S3Operation, CheckName, RegExp]>([
  ['HeadObject', 'challenge', /bucket policy is missing, or it was written for another principal/],
  ['ListObjectsV2', 'list', /missing `s3:ListBucket`/],
  ['PutObject', 'write', /missing `s3:PutObject`/],
  ['HeadBucket', 'region', /missing `s3:ListBucket`, which HeadBucket needs/],
])('403 AccessDenied on %s fails the %s check with its own fix', async (op, name, text) => {
  server.setFault({ op, kind: 'AccessDenied' });

  const report = await verify(verifierFor());

  expect(report.ok).toBe(false);
  expect(report.operatorFault).toBe(false);
  expect(check(report, name)).toMatchObject({ outcome: 'access_denied', passed: false });
  expect(check(report, name).text).toMatch(text);
  expect(report.checks.filter((result) => result.passed)).toHaveLength(3);
});

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
    region: 'wrong_region',
  });
  expect(check(report, 'region').text).toMatch(/^The bucket is in eu-west-1, not us-east-1\./);
  expect(check(report, 'region').text).toMatch(/choose eu-west-1/);
});

test('301 PermanentRedirect from every call is a wrong region, named from x-amz-bucket-region', async () => {
  server.setFault({ kind: 'PermanentRedirect', region: 'eu-west-1' });

  const report = await verify(verifierFor());

  expect(report.ok).toBe(false);
  expect(report.operatorFault).toBe(false);
  for (const result of report.checks) {
    expect(result.outcome).toBe('wrong_region');
    expect(result.text).toMatch(/^The bucket is in eu-west-1, not us-east-1\./);
  }
});

test('a 301 on a HEAD, which has no body, is still read from its header', async () => {
  server.setFault({ op: 'HeadObject', kind: 'PermanentRedirect', region: 'ap-southeast-2' });

  const report = await verify(verifierFor());

  expect(check(report, 'challenge').outcome).toBe('wrong_region');
  expect(check(report, 'challenge').text).toMatch(
    /^The bucket is in ap-southeast-2, not us-east-1/,
  );
});

test('NoSuchBucket is said by every check, the HEAD 404 included', async () => {
  server.setFault({ kind: 'NoSuchBucket' });

  const report = await verify(verifierFor());

  expect(report.ok).toBe(false);
  expect(report.operatorFault).toBe(false);
  for (const result of report.checks) {
    expect(result.outcome).toBe('no_such_bucket');
    expect(result.text).toMatch(/`acme-data` does not exist/);
  }
});

test('a missing challenge file gets the reference 404 text; the bot does not create it', async () => {
  server.setFault({ op: 'HeadObject', kind: 'NotFound' });

  const report = await verify(verifierFor());

  expect(outcomes(report)).toEqual({
    challenge: 'not_found',
    list: 'ok',
    write: 'ok',
    region: 'ok',
  });
  expect(check(report, 'challenge').text.startsWith(`${CHALLENGE_NOT_FOUND_TEXT}\n`)).toBe(true);
  expect(server.requests.filter((r) => r.method === 'PUT').map((r) => r.key)).toEqual([
    WRITE_CHECK_KEY,
  ]);
});

test('a server slower than the timeout gives timeouts, and the verification still resolves', async () => {
  server.setFault({ kind: 'slow', delayMs: 10_000 });

  const report = await verify(verifierFor());

  expect(report.ok).toBe(false);
  expect(report.operatorFault).toBe(true);
  for (const result of report.checks) {
    expect(result.outcome).toBe('timeout');
    expect(result.text).toMatch(/S3 did not answer in time/);
  }
});

test('a slow answer to one call times out that check only', async () => {
  server.setFault({ op: 'PutObject', kind: 'slow', delayMs: 10_000 });

  const report = await verify(verifierFor());

  expect(outcomes(report)).toEqual({
    challenge: 'ok',
    list: 'ok',
    write: 'timeout',
    region: 'ok',
  });
});

test('a reset connection is reported as unreachable, on the bot’s side', async () => {
  server.setFault({ kind: 'reset' });

  const report = await verify(verifierFor());

  expect(report.operatorFault).toBe(true);
  for (const result of report.checks) {
    expect(result.outcome).toBe('unreachable');
    expect(result.text).toMatch(/could not connect to S3/);
  }
});

test('an endpoint with nothing listening is unreachable and an operator fault', async () => {
  const gone = await startFaultServer();
  await gone.stop();

  const report = await verify(verifierFor({ endpoint: gone.endpoint }));

  expect(report.ok).toBe(false);
  expect(report.operatorFault).toBe(true);
  for (const result of report.checks) {
    expect(result.outcome).toBe('unreachable');
    expect(result.text).toMatch(/problem on the bot's side/);
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
  for (const result of report.checks) {
    expect(result.outcome).toBe('no_credentials');
    expect(result.text).toMatch(/bot's own AWS credentials, not your bucket/);
  }
  expect(server.requests).toHaveLength(0);
});

test('credentials that never resolve still end in a timeout', async () => {
  const hanging = () => new Promise<never>(() => undefined);

  const report = await verify(verifierFor({ credentials: hanging }));

  expect(new Set(report.checks.map((result) => result.outcome))).toEqual(new Set(['timeout']));
});

test('a rejected access key is the operator’s fault, the bodiless HEAD 403s included', async () => {
  server.setFault({ kind: 'InvalidAccessKeyId' });

  const report = await verify(verifierFor());

  expect(report.operatorFault).toBe(true);
  expect(new Set(report.checks.map((result) => result.outcome))).toEqual(
    new Set(['no_credentials']),
  );
});

test('an expired session token is the operator’s fault', async () => {
  server.setFault({ op: 'ListObjectsV2', kind: 'ExpiredToken' });

  const report = await verify(verifierFor());

  expect(check(report, 'list').outcome).toBe('no_credentials');
  expect(report.operatorFault).toBe(true);
});

test('an S3 internal error is unexpected and shows its code', async () => {
  server.setFault({ op: 'ListObjectsV2', kind: 'InternalError' });

  const report = await verify(verifierFor());

  expect(check(report, 'list').outcome).toBe('unexpected');
  expect(check(report, 'list').text).toMatch(/\(InternalError, HTTP 500\)/);
  expect(report.operatorFault).toBe(false);
});
