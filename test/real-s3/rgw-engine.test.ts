import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketPolicyCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { buildBucketPolicy, formatBucketPolicy } from '../../src/domain/bucket-policy';
import { describeWithRgw, startRgw, type Rgw, type RgwUser } from '../support/rgw';

// Proves that the real engine enforces what the bot relies on: without the generated policy the
// loader gets nothing, with it the loader can list, read and write, and nothing more.

const BUCKET = 'destination-bucket';
const CHALLENGE_KEY = 'challenge/blank.txt';
const LOADER_KEY = 'challenge/written-by-loader.txt';
const EMPTY_MD5 = '1B2M2Y8AsgTpgAmY7PhCfg==';
const START_TIMEOUT_MS = 90_000;

let rgw: Rgw;
let owner: RgwUser;
let loader: RgwUser;
let ownerS3: S3Client;
let loaderS3: S3Client;

describeWithRgw('Ceph RGW enforces the generated bucket policy', () => {
  beforeAll(async () => {
    rgw = await startRgw();
    owner = await rgw.createUser('owner');
    loader = await rgw.createUser('loader');
    ownerS3 = rgw.client(owner);
    loaderS3 = rgw.client(loader);
    await ownerS3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await ownerS3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: CHALLENGE_KEY, Body: Buffer.alloc(0) }),
    );
  }, START_TIMEOUT_MS);

  afterAll(() => rgw?.stop());

  function denied(name?: string) {
    return { $metadata: { httpStatusCode: 403 }, ...(name ? { name } : {}) };
  }

  const headChallenge = () => new HeadObjectCommand({ Bucket: BUCKET, Key: CHALLENGE_KEY });
  const putBlank = (key: string) =>
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: key,
      Body: Buffer.alloc(0),
      ContentMD5: EMPTY_MD5,
    });

  test('a tenant-less user has the ARN the policy names', () => {
    expect(loader.arn).toBe('arn:aws:iam:::user/loader');
  });

  describe('before the bucket policy', () => {
    test('the loader cannot read the challenge file', async () => {
      await expect(loaderS3.send(headChallenge())).rejects.toMatchObject(denied());
    });

    test('the loader cannot list the bucket', async () => {
      await expect(
        loaderS3.send(new ListObjectsV2Command({ Bucket: BUCKET })),
      ).rejects.toMatchObject(denied('AccessDenied'));
    });

    test('the loader cannot write to the bucket', async () => {
      await expect(loaderS3.send(putBlank(LOADER_KEY))).rejects.toMatchObject(
        denied('AccessDenied'),
      );
    });
  });

  describe('with the generated bucket policy', () => {
    beforeAll(async () => {
      const bucketPolicy = buildBucketPolicy(BUCKET, rgw.region, loader.arn);
      await ownerS3.send(
        new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: formatBucketPolicy(bucketPolicy) }),
      );
    });

    test('the loader can read the challenge file', async () => {
      const head = await loaderS3.send(headChallenge());

      expect(head.ContentLength).toBe(0);
    });

    test('a missing key is not found, not denied', async () => {
      await expect(
        loaderS3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'challenge/missing.txt' })),
      ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    });

    test('the loader can write a blank file with its MD5', async () => {
      const put = await loaderS3.send(putBlank(LOADER_KEY));

      expect(put.ETag).toBe('"d41d8cd98f00b204e9800998ecf8427e"');
    });

    test('the loader can list the bucket', async () => {
      const listing = await loaderS3.send(new ListObjectsV2Command({ Bucket: BUCKET }));

      expect(listing.Contents?.map((object) => object.Key)).toEqual([CHALLENGE_KEY, LOADER_KEY]);
    });

    test('each object belongs to the user who uploaded it', async () => {
      const [challenge, written] = await Promise.all(
        [CHALLENGE_KEY, LOADER_KEY].map((key) =>
          loaderS3.send(
            new ListObjectsV2Command({ Bucket: BUCKET, FetchOwner: true, Prefix: key }),
          ),
        ),
      );

      expect(challenge.Contents?.map((object) => [object.Key, object.Owner?.ID])).toEqual([
        [CHALLENGE_KEY, owner.uid],
      ]);
      expect(written.Contents?.map((object) => [object.Key, object.Owner?.ID])).toEqual([
        [LOADER_KEY, loader.uid],
      ]);
    });

    test('the loader cannot delete objects', async () => {
      await expect(
        loaderS3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: CHALLENGE_KEY })),
      ).rejects.toMatchObject(denied('AccessDenied'));
      await expect(ownerS3.send(headChallenge())).resolves.toBeDefined();
    });

    test('the loader cannot read the bucket policy', async () => {
      await expect(
        loaderS3.send(new GetBucketPolicyCommand({ Bucket: BUCKET })),
      ).rejects.toMatchObject(denied('AccessDenied'));
    });

    test('the loader cannot replace the bucket policy', async () => {
      const widerPolicy = buildBucketPolicy(BUCKET, rgw.region, 'arn:aws:iam:::user/anyone');

      await expect(
        loaderS3.send(
          new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: formatBucketPolicy(widerPolicy) }),
        ),
      ).rejects.toMatchObject(denied('AccessDenied'));
    });
  });
});
