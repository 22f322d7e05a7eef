// The listing of one key (ListObjectsV2 with the key as prefix, its owner fetched): the call every
// check makes, the monitor's routine check on every destination in every round. It is sent
// directly, without the SDK's command pipeline: s3-direct.ts says why (the figures), what holds it
// to the SDK's own requests (test/integration/key-listing.test.ts), which SDK internals it rides on
// and what to do when an SDK upgrade breaks them.
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { sendDirect } from './s3-direct';
import { decodeXml, xmlElements, xmlText } from './s3-xml';

/** What listing `key` found. */
export interface KeyListing {
  /** Whether an object named exactly `key` exists. */
  readonly listed: boolean;
  /** Its owner's canonical id, when the engine reported one. */
  readonly ownerId?: string;
}

/** Lists one key in `bucket` through `client`: S3's errors are thrown as the SDK would name them. */
export function listKey(
  client: S3Client,
  bucket: string,
  key: string,
  abortSignal: AbortSignal,
): Promise<KeyListing> {
  return sendDirect(
    client,
    bucket,
    ListObjectsV2Command,
    {
      operation: 'ListObjectsV2',
      method: 'GET',
      query: { 'list-type': '2', prefix: key, 'max-keys': '1', 'fetch-owner': 'true' },
    },
    abortSignal,
    {
      read: ({ body }) => listingOf(body, key),
      viaSdk: async () => {
        const output = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1, FetchOwner: true }),
          { abortSignal },
        );
        const found = output.Contents?.find((object) => object.Key === key);
        const ownerId = found?.Owner?.ID;
        return { listed: found !== undefined, ...(ownerId ? { ownerId } : {}) };
      },
    },
  );
}

/** Whether the listing holds exactly `key`, and its owner. */
function listingOf(body: string, key: string): KeyListing {
  const listed = /<ListBucketResult[\s>]/.test(body) ? xmlElements(body, 'Contents') : undefined;
  if (listed === undefined) {
    throw Object.assign(new Error('S3 answered a listing with something else'), {
      name: 'S3UnreadableListing',
    });
  }
  for (const contents of listed) {
    const listedKey = xmlText(contents, 'Key');
    if (listedKey === undefined || decodeXml(listedKey) !== key) continue;
    const owner = xmlElements(contents, 'Owner')?.[0];
    const id = owner === undefined ? undefined : xmlText(owner, 'ID');
    const ownerId = id === undefined ? '' : decodeXml(id).trim();
    return { listed: true, ...(ownerId ? { ownerId } : {}) };
  }
  return { listed: false };
}
