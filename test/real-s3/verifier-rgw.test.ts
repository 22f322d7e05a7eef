import {
  DeleteObjectCommand,
  GetBucketPolicyCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { newChallengeKey } from '../../src/domain/challenge';
import { classifyS3Error } from '../../src/verify/classify-s3-error';
import { CHALLENGE_NOT_FOUND_TEXT } from '../../src/verify/explain';
import { listKey } from '../../src/verify/key-listing';
import {
  WRITE_CHECK_KEY,
  type CheckName,
  type CheckResult,
  type VerificationReport,
} from '../../src/verify/report';
import type { VerifyTarget } from '../../src/verify/verifier-port';
import type { S3ClientFactory } from '../../src/verify/s3-clients';
import type { S3Verifier } from '../../src/verify/verifier';
import { AWKWARD_KEYS } from '../support/fixtures';
import { RGW_REGION, describeWithRgw, startRgw, type Rgw, type RgwUser } from '../support/rgw';
import { BucketOwner, botVerifier, generatedPolicy } from './bucket-owner';

// The bot's verifier against a real engine that enforces bucket policies: a passing Check and Save
// means the bucket is ready for the loader, and nothing is written into a bucket before its
// challenge file proves it is the user's. The verifier signs as `loader`, the policy's principal;
// `owner` does what our setup instructions ask of the user.

const START_TIMEOUT_MS = 90_000;
const BOT_TEXT = "a problem with the bot's own AWS credentials, not your bucket";

let rgw: Rgw;
let owner: RgwUser;
let loader: RgwUser;
let intruder: RgwUser;
let ownerS3: BucketOwner;
let intruderS3: BucketOwner;
let loaderS3: S3Client;
let bot: { verifier: S3Verifier; clients: S3ClientFactory };

describeWithRgw('the verifier against Ceph RGW', () => {
  beforeAll(async () => {
    rgw = await startRgw();
    owner = await rgw.createUser('owner');
    loader = await rgw.createUser('loader');
    intruder = await rgw.createUser('intruder');
    ownerS3 = new BucketOwner(rgw.client(owner));
    intruderS3 = new BucketOwner(rgw.client(intruder));
    loaderS3 = rgw.client(loader);
    bot = botVerifier(rgw, loader);
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    bot?.clients.destroy();
    await rgw?.stop();
  });

  interface Destination {
    readonly bucket: string;
    readonly challengeKey: string;
  }

  /** How the owner left the bucket policy: as generated, none at all, or less one action. */
  type PolicySetup = 'generated' | 'none' | { readonly without: string };

  /** A new bucket of the owner's, with the policy and challenge file as the test needs them. */
  async function ownersBucket(
    policy: PolicySetup,
    challenge: 'uploaded' | 'missing',
  ): Promise<Destination> {
    const destination = {
      bucket: `dest-${randomUUID().slice(0, 8)}`,
      challengeKey: newChallengeKey(),
    };
    const { bucket, challengeKey } = destination;
    await ownerS3.createBucket(bucket);
    if (policy !== 'none') {
      const without = policy === 'generated' ? undefined : policy.without;
      await ownerS3.applyPolicy(bucket, generatedPolicy(bucket, loader.arn, without));
    }
    if (challenge === 'uploaded') await ownerS3.uploadBlank(bucket, challengeKey);
    return destination;
  }

  function targetOf(destination: Destination, expectedOwnerId?: string): VerifyTarget {
    return {
      ...destination,
      region: RGW_REGION,
      principalArn: loader.arn,
      ...(expectedOwnerId === undefined ? {} : { expectedOwnerId }),
    };
  }

  function outcomes(report: VerificationReport): Partial<Record<CheckName, string>> {
    return Object.fromEntries(report.checks.map((result) => [result.check, result.outcome]));
  }

  function resultOf(report: VerificationReport, check: CheckName): CheckResult {
    const result = report.checks.find((candidate) => candidate.check === check);
    if (!result) throw new Error(`the report has no ${check} check`);
    return result;
  }

  const NOTHING_BEYOND_THE_CHALLENGE = { list: 'not_run', write: 'not_run', ownership: 'not_run' };

  describe('Check and Save on a bucket set up as instructed', () => {
    test('passes, warning that what the loader writes belongs to the loader', async () => {
      const destination = await ownersBucket('generated', 'uploaded');

      const report = await bot.verifier.verify(targetOf(destination));

      expect(report).toMatchObject({ ok: true, operatorFault: false, challengeOwnerId: owner.uid });
      expect(outcomes(report)).toEqual({
        challenge: 'ok',
        list: 'ok',
        write: 'ok',
        ownership: 'owner_differs',
        region: 'skipped',
      });
      expect(resultOf(report, 'ownership')).toMatchObject({ status: 'warning', passed: true });
      expect(resultOf(report, 'region').text).toContain("did not report the bucket's region");
      expect(await ownerS3.keys(destination.bucket)).toEqual([
        WRITE_CHECK_KEY,
        destination.challengeKey,
      ]);
      const written = new HeadObjectCommand({ Bucket: destination.bucket, Key: WRITE_CHECK_KEY });
      expect((await loaderS3.send(written)).ContentLength).toBe(0);
      // What the warning says: the bucket's owner cannot read the object the loader wrote.
      await expect(ownerS3.head(destination.bucket, WRITE_CHECK_KEY)).rejects.toMatchObject({
        $metadata: { httpStatusCode: 403 },
      });
    });

    test('passes when the challenge file still has the owner pinned at setup', async () => {
      const destination = await ownersBucket('generated', 'uploaded');

      const report = await bot.verifier.verify(targetOf(destination, owner.uid));

      expect(report.ok).toBe(true);
      expect(resultOf(report, 'challenge').outcome).toBe('ok');
    });
  });

  describe('nothing is written before the challenge file passes', () => {
    test('a missing challenge file gets the reference 404 text, and nothing else runs', async () => {
      const destination = await ownersBucket('generated', 'missing');

      const report = await bot.verifier.verify(targetOf(destination));

      expect(report.ok).toBe(false);
      expect(outcomes(report)).toEqual({
        challenge: 'not_found',
        ...NOTHING_BEYOND_THE_CHALLENGE,
        region: 'skipped',
      });
      expect(resultOf(report, 'challenge').text.split('\n')[0]).toBe(CHALLENGE_NOT_FOUND_TEXT);
      expect(await ownerS3.keys(destination.bucket)).toEqual([]);
    });

    test.each(['uploaded', 'missing'] as const)(
      'without the policy, a challenge file (%s) is denied, never reported missing',
      async (challenge) => {
        const destination = await ownersBucket('none', challenge);
        const keysBefore = await ownerS3.keys(destination.bucket);

        const report = await bot.verifier.verify(targetOf(destination));

        expect(outcomes(report)).toMatchObject({
          challenge: 'access_denied',
          ...NOTHING_BEYOND_THE_CHALLENGE,
        });
        const { text } = resultOf(report, 'challenge');
        expect(text).toContain('Access denied (HTTP 403) when the bot read the challenge file');
        expect(text).toContain('the bucket policy is missing, or it was written for another');
        expect(text).not.toContain('404');
        expect(report.operatorFault).toBe(false);
        expect(await ownerS3.keys(destination.bucket)).toEqual(keysBefore);
      },
    );

    test('a bucket that trusts the loader but has no challenge file is never written to', async () => {
      const destination = await ownersBucket('generated', 'missing');

      const reports: VerificationReport[] = [];
      for (let attempt = 0; attempt < 3; attempt += 1) {
        reports.push(await bot.verifier.verify(targetOf(destination)));
      }

      expect(reports.map((report) => outcomes(report))).toEqual(
        Array(3).fill({
          challenge: 'not_found',
          ...NOTHING_BEYOND_THE_CHALLENGE,
          region: 'skipped',
        }),
      );
      expect(await ownerS3.keys(destination.bucket)).toEqual([]);
    });
  });

  describe('a policy missing an action is named in the failure', () => {
    test('without s3:PutObject, the write is denied with S3 code and the missing action', async () => {
      const destination = await ownersBucket({ without: 's3:PutObject' }, 'uploaded');

      const report = await bot.verifier.verify(targetOf(destination));

      expect(report.ok).toBe(false);
      expect(outcomes(report)).toMatchObject({
        challenge: 'ok',
        list: 'ok',
        write: 'access_denied',
        ownership: 'not_run',
      });
      const { text } = resultOf(report, 'write');
      expect(text).toContain('(AccessDenied, HTTP 403)');
      expect(text).toContain('the bucket policy is missing `s3:PutObject`');
      expect(await ownerS3.keys(destination.bucket)).toEqual([destination.challengeKey]);
    });

    test('without s3:ListBucket, the challenge passes, the listing is denied, the write goes ahead', async () => {
      const destination = await ownersBucket({ without: 's3:ListBucket' }, 'uploaded');

      const report = await bot.verifier.verify(targetOf(destination));

      expect(report.ok).toBe(false);
      // RGW lets s3:GetObject alone answer a HEAD of an object that is there.
      expect(outcomes(report)).toEqual({
        challenge: 'ok',
        list: 'access_denied',
        write: 'ok',
        ownership: 'not_run',
        // HeadBucket needs s3:ListBucket too.
        region: 'access_denied',
      });
      const { text } = resultOf(report, 'list');
      expect(text).toContain('(AccessDenied, HTTP 403)');
      expect(text).toContain('the bucket policy is missing `s3:ListBucket`');
      expect(resultOf(report, 'region').text).toContain('`s3:ListBucket`, which HeadBucket needs');
      expect(await ownerS3.keys(destination.bucket)).toEqual([
        WRITE_CHECK_KEY,
        destination.challengeKey,
      ]);
    });

    test('without s3:ListBucket, a missing challenge file is denied, and the text says why', async () => {
      const destination = await ownersBucket({ without: 's3:ListBucket' }, 'missing');

      const report = await bot.verifier.verify(targetOf(destination));

      expect(outcomes(report)).toMatchObject({
        challenge: 'access_denied',
        ...NOTHING_BEYOND_THE_CHALLENGE,
      });
      const { text } = resultOf(report, 'challenge');
      expect(text).toContain(
        'S3 also answers 403 for a missing file when the policy lacks `s3:ListBucket`',
      );
      expect(text).not.toContain(CHALLENGE_NOT_FOUND_TEXT);
      expect(await ownerS3.keys(destination.bucket)).toEqual([]);
    });
  });

  describe('failures that are not the policy', () => {
    test('a bucket that does not exist is said not to exist, and nothing else runs', async () => {
      const destination = {
        bucket: `missing-${randomUUID().slice(0, 8)}`,
        challengeKey: newChallengeKey(),
      };

      const report = await bot.verifier.verify(targetOf(destination));

      expect(report).toMatchObject({ ok: false, operatorFault: false, inconclusive: false });
      expect(outcomes(report)).toEqual({
        challenge: 'no_such_bucket',
        ...NOTHING_BEYOND_THE_CHALLENGE,
        region: 'no_such_bucket',
      });
      expect(resultOf(report, 'challenge').text).toMatch(
        new RegExp(`^The bucket \`${destination.bucket}\` does not exist \\(NoSuchBucket\\)\\.\n`),
      );
      expect(resultOf(report, 'challenge').text).not.toContain(CHALLENGE_NOT_FOUND_TEXT);
    });

    test("a wrong secret key is a fault on the bot's side, and nothing is written", async () => {
      const destination = await ownersBucket('generated', 'uploaded');
      const misconfigured = botVerifier(rgw, loader, 'not-the-loader-secret');

      const report = await misconfigured.verifier
        .verify(targetOf(destination))
        .finally(() => misconfigured.clients.destroy());

      expect(report).toMatchObject({ ok: false, operatorFault: true, inconclusive: true });
      expect(outcomes(report)).toEqual({
        challenge: 'no_credentials',
        ...NOTHING_BEYOND_THE_CHALLENGE,
        region: 'no_credentials',
      });
      expect(resultOf(report, 'challenge').text).toContain(BOT_TEXT);
      expect(await ownerS3.keys(destination.bucket)).toEqual([destination.challengeKey]);
    });

    test("a wrong secret key makes the monitor's check the bot's fault too", async () => {
      const destination = await ownersBucket('generated', 'uploaded');
      const misconfigured = botVerifier(rgw, loader, 'not-the-loader-secret');

      const report = await misconfigured.verifier
        .watch({ ...targetOf(destination), checkRegion: false })
        .finally(() => misconfigured.clients.destroy());

      expect(report).toMatchObject({ ok: false, operatorFault: true, inconclusive: true });
      expect(outcomes(report)).toEqual({ challenge: 'no_credentials', list: 'no_credentials' });
    });
  });

  describe('the generated policy grants the loader nothing more', () => {
    /** What the loader attempts, by the bucket and the challenge file's key. */
    type Attempt = (bucket: string, key: string) => Promise<unknown>;

    test.each<[string, Attempt]>([
      [
        'delete an object',
        (bucket, key) => loaderS3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })),
      ],
      [
        'read the bucket policy',
        (bucket) => loaderS3.send(new GetBucketPolicyCommand({ Bucket: bucket })),
      ],
      [
        'change the bucket policy',
        (bucket) =>
          loaderS3.send(
            new PutBucketPolicyCommand({
              Bucket: bucket,
              Policy: generatedPolicy(bucket, 'arn:aws:iam:::user/anyone'),
            }),
          ),
      ],
    ])('the loader cannot %s', async (_what, attempt) => {
      const destination = await ownersBucket('generated', 'uploaded');

      const attempted = attempt(destination.bucket, destination.challengeKey);

      await expect(attempted).rejects.toMatchObject({
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      });
      expect(await ownerS3.keys(destination.bucket)).toEqual([destination.challengeKey]);
      expect(await ownerS3.policy(destination.bucket)).toEqual(
        JSON.parse(generatedPolicy(destination.bucket, loader.arn)),
      );
    });
  });

  describe("the monitor's routine check", () => {
    test('passes and leaves the write-check object untouched', async () => {
      const destination = await ownersBucket('generated', 'uploaded');
      await bot.verifier.verify(targetOf(destination));
      const before = await ownerS3.objects(destination.bucket);
      // LastModified may have whole seconds: a rewrite after this pause would show a later one.
      await sleep(1100);

      const report = await bot.verifier.watch({ ...targetOf(destination), checkRegion: false });

      expect(report).toMatchObject({ ok: true, regionChecked: false, challengeOwnerId: owner.uid });
      expect(outcomes(report)).toEqual({ challenge: 'ok', list: 'ok' });
      expect(before.map((object) => object.key)).toEqual([
        WRITE_CHECK_KEY,
        destination.challengeKey,
      ]);
      expect(await ownerS3.objects(destination.bucket)).toEqual(before);
    });

    test('reports a deleted challenge file with the reference 404 text', async () => {
      const destination = await ownersBucket('generated', 'uploaded');
      await bot.verifier.verify(targetOf(destination));
      await ownerS3.deleteObject(destination.bucket, destination.challengeKey);

      const report = await bot.verifier.watch({
        ...targetOf(destination, owner.uid),
        checkRegion: false,
      });

      expect(report.ok).toBe(false);
      expect(outcomes(report)).toEqual({ challenge: 'not_found', list: 'ok' });
      expect(resultOf(report, 'challenge').text.split('\n')[0]).toBe(CHALLENGE_NOT_FOUND_TEXT);
      expect(await ownerS3.keys(destination.bucket)).toEqual([WRITE_CHECK_KEY]);
    });
  });

  describe('a bucket that changed hands', () => {
    /**
     * The owner's verified bucket, deleted and created again by the intruder with the same challenge
     * file and the generated policy (less `withoutAction`).
     */
    async function takenOver(withoutAction?: string): Promise<Destination> {
      const destination = await ownersBucket('generated', 'uploaded');
      const verified = await bot.verifier.verify(targetOf(destination, owner.uid));
      expect(verified.ok).toBe(true);
      await ownerS3.deleteBucket(destination.bucket);
      await intruderS3.createBucket(destination.bucket);
      await intruderS3.uploadBlank(destination.bucket, destination.challengeKey);
      await intruderS3.applyPolicy(
        destination.bucket,
        generatedPolicy(destination.bucket, loader.arn, withoutAction),
      );
      return destination;
    }

    test('fails the challenge on verify and is not written to', async () => {
      const destination = await takenOver();

      const report = await bot.verifier.verify(targetOf(destination, owner.uid));

      expect(report).toMatchObject({ ok: false, challengeOwnerId: intruder.uid });
      expect(outcomes(report)).toMatchObject({
        challenge: 'changed_hands',
        write: 'not_run',
        ownership: 'not_run',
      });
      expect(resultOf(report, 'challenge').text).toContain('the bucket changed hands');
      expect(await intruderS3.keys(destination.bucket)).toEqual([destination.challengeKey]);
    });

    test("fails the monitor's routine check too", async () => {
      const destination = await takenOver();

      const report = await bot.verifier.watch({
        ...targetOf(destination, owner.uid),
        checkRegion: false,
      });

      expect(report.ok).toBe(false);
      expect(outcomes(report)).toEqual({ challenge: 'changed_hands', list: 'ok' });
    });

    test('is not written to when the new policy hides the owner (no s3:ListBucket)', async () => {
      const destination = await takenOver('s3:ListBucket');

      const report = await bot.verifier.verify(targetOf(destination, owner.uid));

      expect(report.ok).toBe(false);
      expect(report.checks.find((c) => c.check === 'write')).toMatchObject({ outcome: 'not_run' });
      expect(await intruderS3.keys(destination.bucket)).toEqual([destination.challengeKey]);
    });
  });

  describe('the one-key listing, signed without the SDK’s pipeline', () => {
    test('finds awkward keys exactly, as the SDK’s listing does', async () => {
      const bucket = `lean-${randomUUID()}`;
      await ownerS3.createBucket(bucket);
      for (const key of AWKWARD_KEYS) await ownerS3.uploadBlank(bucket, key);
      const s3 = rgw.client(owner);
      for (const key of AWKWARD_KEYS) {
        const listing = await listKey(s3, bucket, key, AbortSignal.timeout(10_000));
        expect(listing).toMatchObject({ listed: true, ownerId: owner.uid });
      }
      await expect(listKey(s3, bucket, 'plain', AbortSignal.timeout(10_000))).resolves.toEqual({
        listed: false,
      });
    });

    test('a wrong secret and a bucket the signer may not list fail as the SDK’s calls fail', async () => {
      const bucket = `lean-${randomUUID()}`;
      await ownerS3.createBucket(bucket);
      const forged = new S3Client({
        region: RGW_REGION,
        endpoint: rgw.endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: owner.accessKeyId, secretAccessKey: 'not-the-secret' },
      });
      const strangers = [forged, rgw.client(intruder)];
      const outcomes = [];
      for (const s3 of strangers) {
        const lean = await listKey(s3, bucket, 'k', AbortSignal.timeout(10_000)).catch(
          (error: unknown) => classifyS3Error(error, 'list'),
        );
        const sdk = await s3
          .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'k', MaxKeys: 1 }))
          .catch((error: unknown) => classifyS3Error(error, 'list'));
        expect(lean).toEqual(sdk);
        outcomes.push(lean);
      }
      forged.destroy();
      expect(outcomes).toEqual([
        { outcome: 'no_credentials' },
        { outcome: 'access_denied', detail: 'AccessDenied, HTTP 403' },
      ]);
    });
  });
});
