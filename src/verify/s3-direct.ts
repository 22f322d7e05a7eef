// The checks' S3 calls sent directly, without the AWS SDK's command pipeline.
//
// Why: the pipeline (serialising by schema, the endpoint rules evaluated per call, the retry,
// user-agent and checksum steps, the XML parser) cost several times the request itself. Measured
// with npm run bench: the monitor's one listing per destination was 0.76 ms of its 1.44 ms of CPU
// (0.84 ms once sent directly; 0.45 ms today with the rest of its work); HeadObject, HeadBucket and
// PutObject were 36% of Check and Save's CPU in a burst, about 0.7 ms a call (5.4 ms a click before,
// 4.1 ms after; 2.9 to 3.3 ms today). docs/PERFORMANCE.md has today's figures.
//
// What holds it to the SDK: test/integration/key-listing.test.ts (the listing) and
// test/integration/object-calls.test.ts (the object calls), on test/support/s3-parity.ts: for every
// call, the same host, path, query, headers and credential scope as the SDK's own request over
// partitions, dual-stack, FIPS, path style, custom endpoints and awkward keys, and the same
// classified outcome and number of tries for every fault the fault server injects; the real-S3
// tests (test/real-s3/) check the signatures on an engine that verifies them.
//
// What it rides on, none of it a public promise of the SDK: the endpoint rules through
// @smithy/core's getEndpointFromInstructions with the client's own config (and the authSchemes it
// returns in endpoint.properties), the client's config.signer (its SigV4 signer), its
// config.requestHandler.handle (its sockets and timeouts), its config.systemClockOffset (the clock
// skew the SDK keeps) and @smithy/core's HttpRequest.
//
// When an SDK upgrade breaks it: the parity tests fail first, naming the call and what differs.
// Where the rules ask for what this path does not speak (another signing scheme, extra headers),
// it already falls back to the SDK's own call (viaSdk); to fall back everywhere at once while a
// fix is made, have DirectS3.endpointFor answer undefined, and every call goes through the SDK.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { S3Client } from '@aws-sdk/client-s3';
import { getEndpointFromInstructions } from '@smithy/core/endpoints';
import { HttpRequest } from '@smithy/core/protocols';
import type { HttpResponse } from '@smithy/types';
import { s3CallFailure, type S3CallFailure } from './classify-s3-error';
import { s3ErrorOf } from './s3-xml';

/**
 * Told how long each direct call took, and why it failed where the operator must look (S3 or the
 * bot's credentials; nothing when S3 answered), as the SDK clients tell of their own calls.
 */
export type CallTimer = (operation: string, seconds: number, failure?: S3CallFailure) => void;

/** The calls sent directly, by the name the SDK gives them. */
export type DirectOperation = 'ListObjectsV2' | 'HeadObject' | 'HeadBucket' | 'PutObject';

/** What the endpoint rules of an operation are resolved with: its SDK command, as a class. */
type EndpointCommand = Parameters<typeof getEndpointFromInstructions>[1];

/** Where a bucket's requests go and how they are signed, as the client's endpoint rules say. */
export interface BucketEndpoint {
  readonly url: URL;
  readonly signingRegion: string;
}

/** One request to a bucket: the object's key (if any) is appended to the bucket's path. */
export interface DirectRequest {
  readonly operation: DirectOperation;
  readonly method: 'GET' | 'HEAD' | 'PUT';
  readonly key?: string;
  readonly query?: Record<string, string>;
  /** Beyond host and the payload's hash; a PUT's body is always empty. */
  readonly headers?: Record<string, string>;
}

/** S3's answer to a call that succeeded. */
export interface DirectAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, string | undefined>;
  readonly body: string;
}

/** A bucket name the endpoint rules treat like any other: one DNS label, nothing special. */
const PLAIN_BUCKET = /^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/;
/** Stands for a plain bucket when the client's endpoint is resolved once for all of them. */
const TEMPLATE_BUCKET = 'bucket-template-0f3a9c';
/** The SHA-256 of the empty body every direct call sends, which S3 requires as a header. */
const EMPTY_BODY_SHA256 = createHash('sha256').digest('hex');
/** A listing of one key is a few hundred bytes; anything far larger is not S3's answer. */
const MAX_BODY_BYTES = 256 * 1024;
// Tried once more: a kept-alive socket the server closed meanwhile, or S3 saying "not now".
const DROPPED_CODES = new Set(['ECONNRESET', 'EPIPE']);
const RETRIED_STATUSES = new Set([500, 502, 503, 504]);
const RETRY_BASE_DELAY_MS = 100;
/** How far S3's clock may be from ours before requests are dated by S3's (the SDK's bound). */
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * Each SDK client's direct calls: made with the client by the S3 client factory (with the timer
 * of its SDK calls), or on first use for a client made elsewhere (tests, the example loader).
 */
const directs = new WeakMap<S3Client, DirectS3>();

/** The direct calls of `client`, made once per client. */
export function directS3(client: S3Client): DirectS3 {
  let direct = directs.get(client);
  if (direct === undefined) {
    direct = new DirectS3(client);
    directs.set(client, direct);
  }
  return direct;
}

/**
 * Gives `client` direct calls timed like its SDK calls (the metrics' S3 call durations); the S3
 * client factory calls it for every client it builds, before any call is made.
 */
export function withTimedDirectCalls(client: S3Client, timer: CallTimer): S3Client {
  directs.set(client, new DirectS3(client, timer));
  return client;
}

/**
 * Sends `request` to `bucket` directly and reads S3's answer with `read`; where the endpoint rules
 * of `command` ask for what this path does not speak (another signing scheme), `viaSdk` makes the
 * SDK's own call instead.
 */
export async function sendDirect<T>(
  client: S3Client,
  bucket: string,
  command: EndpointCommand,
  request: DirectRequest,
  abortSignal: AbortSignal,
  call: { read: (answer: DirectAnswer) => T; viaSdk: () => Promise<T> },
): Promise<T> {
  const direct = directS3(client);
  const endpoint = await direct.endpointFor(bucket, command);
  if (endpoint === undefined) return call.viaSdk();
  return call.read(await direct.send(endpoint, request, abortSignal));
}

/** A bucket's object key in a request path: each segment encoded as the SDK encodes it. */
function keyPath(key: string): string {
  return key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    )
    .join('/');
}

export class DirectS3 {
  private readonly templates = new Map<string, Promise<BucketEndpoint | undefined>>();
  private readonly signers = new Map<string, ReturnType<S3Client['config']['signer']>>();

  constructor(
    private readonly s3: S3Client,
    private readonly timer?: CallTimer,
  ) {}

  /**
   * The client's endpoint for `bucket` by `command`'s rules; undefined where they ask for what this
   * path does not speak (another signing scheme, extra headers): the caller uses the SDK then.
   * Plain names all resolve alike, so the rules run once per client and command for a stand-in
   * name, and the bucket takes its place; any other name resolves itself.
   */
  async endpointFor(bucket: string, command: EndpointCommand): Promise<BucketEndpoint | undefined> {
    if (!PLAIN_BUCKET.test(bucket)) return this.resolve(bucket, command);
    const name = (command as { name?: string }).name ?? 'command';
    let template = this.templates.get(name);
    if (template === undefined) {
      template = this.resolve(TEMPLATE_BUCKET, command).catch((error: unknown) => {
        this.templates.delete(name);
        throw error;
      });
      this.templates.set(name, template);
    }
    const resolved = await template;
    if (resolved === undefined) return undefined;
    const href = resolved.url.href.split(TEMPLATE_BUCKET);
    if (href.length !== 2) return this.resolve(bucket, command);
    return { ...resolved, url: new URL(href.join(bucket)) };
  }

  /**
   * Sends `request` and resolves with a 2xx answer, or throws S3's error as the SDK names it. A
   * dropped connection, a 5xx or a date refused for the clock's skew is tried once more, as the
   * SDK's clients do.
   */
  async send(
    endpoint: BucketEndpoint,
    request: DirectRequest,
    abortSignal: AbortSignal,
  ): Promise<DirectAnswer> {
    const started = performance.now();
    const timed = (failure?: S3CallFailure) =>
      this.timer?.(request.operation, (performance.now() - started) / 1000, failure);
    try {
      const answer = await this.sendOnce(endpoint, request, abortSignal).catch(
        async (error: unknown) => {
          if (!retryable(error)) throw error;
          // Like the SDK's clients: one more try, after a pause of up to its base delay.
          await pause(Math.random() * RETRY_BASE_DELAY_MS, abortSignal);
          return this.sendOnce(endpoint, request, abortSignal);
        },
      );
      timed();
      return answer;
    } catch (error) {
      timed(s3CallFailure(error));
      throw error;
    }
  }

  private async sendOnce(
    endpoint: BucketEndpoint,
    { method, key, query, headers }: DirectRequest,
    abortSignal: AbortSignal,
  ): Promise<DirectAnswer> {
    const { url } = endpoint;
    const base = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
    const request = new HttpRequest({
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      method,
      path: key === undefined ? base : `${base}${keyPath(key)}`,
      query: query ?? {},
      headers: { ...headers, host: url.host, 'x-amz-content-sha256': EMPTY_BODY_SHA256 },
      ...(method === 'PUT' ? { body: Buffer.alloc(0) } : {}),
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
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    // As the SDK reads S3: a 2xx whose body is an error is S3 failing part way (a 503).
    const statusCode = ok && body.endsWith('</Error>') ? 503 : response.statusCode;
    if (statusCode >= 200 && statusCode < 300) {
      return { statusCode, headers: response.headers, body };
    }
    const error = s3ErrorOf(statusCode, response.headers, body);
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

  private async resolve(
    bucket: string,
    command: EndpointCommand,
  ): Promise<BucketEndpoint | undefined> {
    const endpoint = await getEndpointFromInstructions({ Bucket: bucket }, command, this.s3.config);
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
      throw Object.assign(new Error('S3 answered with an oversized body'), {
        name: 'S3ResponseTooLarge',
      });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
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
