import { randomUUID } from 'node:crypto';
import { CHALLENGE_NOT_FOUND_TEXT } from '../../src/verify/explain';
import { CHECK_NAMES, WRITE_CHECK_KEY, type VerificationReport } from '../../src/verify/report';
import type { S3ClientFactory } from '../../src/verify/s3-clients';
import { S3Verifier } from '../../src/verify/verifier';
import { localVerifier, startLocalS3, type LocalS3 } from '../support/s3-local';

const REGION = 'us-east-1';

let s3: LocalS3;
let clients: S3ClientFactory;
let verifier: S3Verifier;

beforeAll(async () => {
  s3 = await startLocalS3();
  ({ clients: clients, verifier } = localVerifier(s3.endpoint, 5000));
});

afterAll(async () => {
  clients?.destroy();
  await s3?.stop();
});

function newChallengeKey(): string {
  return `s3-destination-challenge-file-${randomUUID()}`;
}

async function newBucket(): Promise<string> {
  const bucket = `verify-${randomUUID().slice(0, 8)}`;
  await s3.createBucket(bucket);
  return bucket;
}

function outcomes(report: VerificationReport): Record<string, string> {
  return Object.fromEntries(report.checks.map((result) => [result.check, result.outcome]));
}

test('a bucket holding the challenge file passes, with the region check skipped and said so', async () => {
  const bucket = await newBucket();
  const challengeKey = newChallengeKey();
  await s3.putObject(bucket, challengeKey);

  const report = await verifier.verify({ bucket, region: REGION, challengeKey });

  expect(report.ok).toBe(true);
  expect(report.operatorFault).toBe(false);
  expect(report.checks.map((result) => result.check)).toEqual([...CHECK_NAMES]);
  expect(outcomes(report)).toEqual({
    challenge: 'ok',
    list: 'ok',
    write: 'ok',
    ownership: 'ok',
    region: 'skipped',
  });
  const region = report.checks.find((result) => result.check === 'region');
  expect(region?.passed).toBe(true);
  expect(region?.text).toMatch(/^Skipped: the S3 endpoint did not report the bucket's region/);
});

test('a missing challenge file fails with the reference 404 text, and nothing is written', async () => {
  const bucket = await newBucket();
  const challengeKey = newChallengeKey();

  const report = await verifier.verify({ bucket, region: REGION, challengeKey });

  expect(report.ok).toBe(false);
  expect(report.operatorFault).toBe(false);
  expect(outcomes(report)).toEqual({
    challenge: 'not_found',
    list: 'not_run',
    write: 'not_run',
    ownership: 'not_run',
    region: 'skipped',
  });
  expect(await s3.objectExists(bucket, WRITE_CHECK_KEY)).toBe(false);
  const challenge = report.checks[0];
  expect(challenge?.passed).toBe(false);
  expect(challenge?.text.startsWith(`${CHALLENGE_NOT_FOUND_TEXT}\n`)).toBe(true);
  expect(JSON.stringify(report)).not.toContain(challengeKey);
});

test('the bot never creates the challenge file', async () => {
  const bucket = await newBucket();
  const challengeKey = newChallengeKey();

  await verifier.verify({ bucket, region: REGION, challengeKey });

  expect(await s3.objectExists(bucket, challengeKey)).toBe(false);
});

test('the write check leaves its zero-byte object in the bucket', async () => {
  const bucket = await newBucket();
  const challengeKey = newChallengeKey();
  await s3.putObject(bucket, challengeKey);

  await verifier.verify({ bucket, region: REGION, challengeKey });

  expect(await s3.objectExists(bucket, WRITE_CHECK_KEY)).toBe(true);
});

test('listing a bucket with more objects than MaxKeys passes (a truncated listing)', async () => {
  const bucket = await newBucket();
  const challengeKey = newChallengeKey();
  await s3.putObject(bucket, challengeKey);
  await s3.putObject(bucket, 'a-loaded-table/1_1519235654474.jsonl', '{"id":1}\n');

  const report = await verifier.verify({ bucket, region: REGION, challengeKey });

  expect(outcomes(report).list).toBe('ok');
});

test('a bucket that does not exist is said so by every check that ran', async () => {
  const report = await verifier.verify({
    bucket: `missing-${randomUUID().slice(0, 8)}`,
    region: REGION,
    challengeKey: newChallengeKey(),
  });

  expect(report.ok).toBe(false);
  expect(report.operatorFault).toBe(false);
  expect(outcomes(report)).toEqual({
    challenge: 'no_such_bucket',
    list: 'not_run',
    write: 'not_run',
    ownership: 'not_run',
    region: 'no_such_bucket',
  });
});

test('a verified bucket can be verified again with the same result', async () => {
  const bucket = await newBucket();
  const challengeKey = newChallengeKey();
  await s3.putObject(bucket, challengeKey);

  const first = await verifier.verify({ bucket, region: REGION, challengeKey });
  const second = await verifier.verify({ bucket, region: REGION, challengeKey });

  expect(second).toEqual(first);
});

test('the client factory keeps one client per region', () => {
  expect(clients.forRegion('us-east-1')).toBe(clients.forRegion('us-east-1'));
  expect(clients.forRegion('eu-west-1')).not.toBe(clients.forRegion('us-east-1'));
});

test('the local server helpers see deletions', async () => {
  const bucket = await newBucket();
  await s3.putObject(bucket, 'object');

  await s3.deleteObject(bucket, 'object');

  expect(await s3.objectExists(bucket, 'object')).toBe(false);
});
