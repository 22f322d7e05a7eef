// The listing of one key (ListObjectsV2 with the key as prefix, its owner fetched): the call every
// check makes, the monitor's routine check on every destination in every round. It goes out on
// the client's own endpoint rules, signer and sockets, without the SDK's command pipeline, whose
// serialising, endpoint evaluation and retry steps cost several times the request itself.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { getEndpointFromInstructions } from '@smithy/core/endpoints';
import { HttpRequest } from '@smithy/core/protocols';
import type { HttpResponse } from '@smithy/types';
import { s3CallFailure, type S3CallFailure } from './classify-s3-error';
import { decodeXml, s3ErrorOf, xmlElements, xmlText } from './s3-xml';

/** What listing `key` found. */
export interface KeyListing {
  /** Whether an object named exactly `key` exists. */
  readonly listed: boolean;
  /** Its owner's canonical id, when the engine reported one. */
  readonly ownerId?: string;
}

/**
 * Told how long each listing took, and why it failed where the operator must look (S3 or the
 * bot's credentials; nothing when S3 answered), as the SDK clients tell of their own calls.
 */
export type CallTimer = (operation: string, seconds: number, failure?: S3CallFailure) => void;

/** Where a bucket's requests go and how they are signed, as the client's endpoint rules say. */
interface BucketEndpoint {
  readonly url: URL;
  readonly signingRegion: string;
}

/** A bucket name the endpoint rules treat like any other: one DNS label, nothing special. */
const PLAIN_BUCKET = /^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/;
/** Stands for a plain bucket when the client's endpoint is resolved once for all of them. */
const TEMPLATE_BUCKET = 'bucket-template-0f3a9c';
/** The SHA-256 of the empty body a GET sends, which S3 requires as a header: hashed once. */
const EMPTY_BODY_SHA256 = createHash('sha256').digest('hex');
/** A listing of one key is a few hundred bytes; anything far larger is not S3's answer. */
const MAX_BODY_BYTES = 256 * 1024;
// Tried once more: a kept-alive socket the server closed meanwhile, or S3 saying "not now".
const DROPPED_CODES = new Set(['ECONNRESET', 'EPIPE']);
const RETRIED_STATUSES = new Set([500, 502, 503, 504]);
const RETRY_BASE_DELAY_MS = 100;
/** How far S3's clock may be from ours before requests are dated by S3's (the SDK's bound). */
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

const listers = new WeakMap<S3Client, KeyLister>();
const timers = new WeakMap<S3Client, CallTimer>();

/** Lists one key in `bucket` through `client`: S3's errors are thrown as the SDK would name them. */
export function listKey(
  client: S3Client,
  bucket: string,
  key: string,
  abortSignal: AbortSignal,
): Promise<KeyListing> {
  let lister = listers.get(client);
  if (lister === undefined) {
    lister = new KeyLister(client);
    listers.set(client, lister);
  }
  return lister.list(bucket, key, abortSignal);
}

/** Has `client`'s listings timed like its SDK calls (the metrics' S3 call durations). */
export function timeListings(client: S3Client, timer: CallTimer): void {
  timers.set(client, timer);
}

class KeyLister {
  private template: Promise<BucketEndpoint | undefined> | undefined;
  private readonly signers = new Map<string, ReturnType<S3Client['config']['signer']>>();

  constructor(private readonly s3: S3Client) {}

  async list(bucket: string, key: string, abortSignal: AbortSignal): Promise<KeyListing> {
    const endpoint = await this.endpointFor(bucket);
    // Endpoint rules this path does not speak (another signing scheme): the SDK's own call.
    if (endpoint === undefined) return this.listWithSdk(bucket, key, abortSignal);
    const started = performance.now();
    const timed = (failure?: S3CallFailure) =>
      timers.get(this.s3)?.('ListObjectsV2', (performance.now() - started) / 1000, failure);
    try {
      const body = await this.get(endpoint, key, abortSignal).catch(async (error: unknown) => {
        if (!retryable(error)) throw error;
        // Like the SDK's clients: one more try, after a pause of up to its base delay.
        await pause(Math.random() * RETRY_BASE_DELAY_MS, abortSignal);
        return this.get(endpoint, key, abortSignal);
      });
      const listing = listingOf(body, key);
      timed();
      return listing;
    } catch (error) {
      timed(s3CallFailure(error));
      throw error;
    }
  }

  /** One signed GET; the body of a 2xx answer, or S3's error thrown. */
  private async get(endpoint: BucketEndpoint, key: string, abortSignal: AbortSignal) {
    const { url } = endpoint;
    const request = new HttpRequest({
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      method: 'GET',
      path: url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`,
      query: { 'list-type': '2', prefix: key, 'max-keys': '1', 'fetch-owner': 'true' },
      headers: { host: url.host, 'x-amz-content-sha256': EMPTY_BODY_SHA256 },
    });
    const { config } = this.s3;
    const signer = await this.signerFor(endpoint.signingRegion);
    const signed = await signer.sign(request, {
      signingDate: new Date(Date.now() + (config.systemClockOffset ?? 0)),
      signingRegion: endpoint.signingRegion,
      signingService: 's3',
    });
    const { response } = await config.requestHandler.handle(signed as HttpRequest, {
      abortSignal,
    });
    const { date, age } = response.headers;
    // An answer from a cache (it has an age) says nothing of S3's clock now.
    const skewCorrected = age === undefined && this.followServerClock(date);
    const body = await readBody(response as HttpResponse);
    if (response.statusCode >= 200 && response.statusCode < 300) return body;
    const error = s3ErrorOf(response.statusCode, response.headers, body);
    if (skewCorrected) Object.assign(error, { clockSkewCorrected: true });
    throw error;
  }

  /**
   * Like the SDK's signer: when S3's clock is more than 5 minutes from ours (with the offset kept
   * so far; S3 refuses requests dated 15 minutes off), the client's offset follows it, for this
   * path and the SDK's calls alike. True when it moved: a request refused for its skewed date is
   * then worth one more try.
   */
  private followServerClock(date: string | undefined): boolean {
    const serverTime = date === undefined ? Number.NaN : Date.parse(date);
    if (!Number.isFinite(serverTime)) return false;
    const { config } = this.s3;
    const offset = config.systemClockOffset ?? 0;
    if (Math.abs(serverTime - (Date.now() + offset)) < MAX_CLOCK_SKEW_MS) return false;
    config.systemClockOffset = serverTime - Date.now();
    return true;
  }

  private signerFor(region: string) {
    let signer = this.signers.get(region);
    if (signer === undefined) {
      const scheme = { name: 'sigv4', signingName: 's3', signingRegion: region, properties: {} };
      signer = this.s3.config.signer(scheme).catch((error: unknown) => {
        this.signers.delete(region);
        throw error;
      });
      this.signers.set(region, signer);
    }
    return signer;
  }

  /**
   * The client's endpoint for `bucket`. Plain names all resolve alike, so the rules run once per
   * client for a stand-in name, and the bucket takes its place; any other name resolves itself.
   */
  private async endpointFor(bucket: string): Promise<BucketEndpoint | undefined> {
    if (!PLAIN_BUCKET.test(bucket)) return this.resolve(bucket);
    this.template ??= this.resolve(TEMPLATE_BUCKET).catch((error: unknown) => {
      this.template = undefined;
      throw error;
    });
    const template = await this.template;
    if (template === undefined) return undefined;
    const href = template.url.href.split(TEMPLATE_BUCKET);
    if (href.length !== 2) return this.resolve(bucket);
    return { ...template, url: new URL(href.join(bucket)) };
  }

  private async resolve(bucket: string): Promise<BucketEndpoint | undefined> {
    const endpoint = await getEndpointFromInstructions(
      { Bucket: bucket },
      ListObjectsV2Command,
      this.s3.config,
    );
    const [scheme, ...others] = (endpoint.properties?.authSchemes ?? []) as {
      name?: string;
      signingName?: string;
      signingRegion?: string;
    }[];
    const plain =
      others.length === 0 &&
      scheme?.name === 'sigv4' &&
      scheme.signingName === 's3' &&
      typeof scheme.signingRegion === 'string' &&
      Object.keys(endpoint.headers ?? {}).length === 0;
    return plain ? { url: endpoint.url, signingRegion: scheme.signingRegion as string } : undefined;
  }

  private async listWithSdk(bucket: string, key: string, abortSignal: AbortSignal) {
    const output = await this.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1, FetchOwner: true }),
      { abortSignal },
    );
    const found = output.Contents?.find((object) => object.Key === key);
    const ownerId = found?.Owner?.ID;
    return { listed: found !== undefined, ...(ownerId ? { ownerId } : {}) };
  }
}

/** Reads the whole answer, up to a bound; a stream that fails or breaks off throws. */
async function readBody(response: HttpResponse): Promise<string> {
  const stream = response.body as AsyncIterable<Buffer> | undefined;
  if (stream === undefined) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      (stream as { destroy?: () => void }).destroy?.();
      throw Object.assign(new Error('S3 answered a listing with an oversized body'), {
        name: 'S3ResponseTooLarge',
      });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
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

function retryable(error: unknown): boolean {
  const { code, $metadata, clockSkewCorrected } = error as {
    code?: unknown;
    $metadata?: { httpStatusCode?: number };
    clockSkewCorrected?: boolean;
  };
  const status = $metadata?.httpStatusCode;
  return (
    clockSkewCorrected === true ||
    (typeof code === 'string' && DROPPED_CODES.has(code)) ||
    (status !== undefined && RETRIED_STATUSES.has(status))
  );
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
