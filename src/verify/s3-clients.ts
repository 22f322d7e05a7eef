import { performance } from 'node:perf_hooks';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { partitionForRegion, type Partition } from '../domain/partition';
import { awsClientConfig } from './aws-client-config';
import { s3CallFailure, type S3CallFailure } from './classify-s3-error';
import { withTimedDirectCalls } from './s3-direct';

export interface S3ClientFactoryOptions {
  /** An S3-compatible endpoint (local server, gateway); unset means AWS itself. */
  readonly endpoint?: string;
  readonly forcePathStyle: boolean;
  /** Bound on connecting and on each request; the verifier also aborts each call after this. */
  readonly timeoutMs: number;
  /** The bot's identity; unset means the SDK's default credential chain. */
  readonly credentials?: S3ClientConfig['credentials'];
  /** The identity for a partition's regions (its named profile), instead of `credentials`. */
  readonly partitionCredentials?: Readonly<
    Partial<Record<Partition, S3ClientConfig['credentials']>>
  >;
  /**
   * Told how long each S3 call took, by its operation (`HeadBucket`, …), answered or not, and
   * why it failed where the operator must look (S3 or the bot's credentials).
   */
  readonly onCall?: (operation: string, seconds: number, failure?: S3CallFailure) => void;
}

export interface S3ClientFactory {
  /** The one client for `region`, created on first use and reused afterwards. */
  forRegion(region: string): S3Client;
  /**
   * A client for `region` signing with `credentials` (an assumed role's), kept under `key` for
   * reuse; the least recently used are closed beyond a bound.
   */
  forCredentials(
    region: string,
    key: string,
    credentials: NonNullable<S3ClientConfig['credentials']>,
  ): S3Client;
  /** Closes every client's sockets; the factory must not be used afterwards. */
  destroy(): void;
}

/**
 * Sockets each client may open to one host (the SDK's default is 50). Virtual-hosted buckets each
 * have a host of their own; path-style endpoints (S3-compatible servers) put every bucket on one,
 * where this is the bound on calls in flight at once.
 */
export const S3_SOCKETS_PER_HOST = 100;

/** Builds S3 clients that fail fast and show S3's own answer instead of hiding it. */
// Enough for every role-reached destination a replica checks in a round, without a socket pool each forever.
const MAX_ROLE_CLIENTS = 500;

export function createS3ClientFactory(options: S3ClientFactoryOptions): S3ClientFactory {
  const clients = new Map<string, S3Client>();
  const roleClients = new Map<string, S3Client>();

  const credentialsFor = (region: string) =>
    options.partitionCredentials?.[partitionForRegion(region)] ?? options.credentials;

  const build = (region: string, credentials = credentialsFor(region)) =>
    timed(
      new S3Client({
        ...awsClientConfig({
          region,
          endpoint: options.endpoint,
          credentials,
          timeoutMs: options.timeoutMs,
          // One retry for a dropped connection; the abort signal still bounds the whole call.
          maxAttempts: 2,
          socketsPerHost: S3_SOCKETS_PER_HOST,
        }),
        forcePathStyle: options.forcePathStyle,
        // A zero-byte PutObject needs no checksum, and S3-compatible servers often reject the trailer.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        // A 301 means the user chose the wrong region: we want to see it, not have it followed.
        followRegionRedirects: false,
      }),
    );

  const timed = (client: S3Client): S3Client => {
    const { onCall } = options;
    if (!onCall) return client;
    withTimedDirectCalls(client, onCall);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const started = performance.now();
        const timed = (failure?: S3CallFailure) => {
          const operation = (context.commandName ?? 'Other').replace(/Command$/, '');
          onCall(operation, (performance.now() - started) / 1000, failure);
        };
        try {
          const output = await next(args);
          timed();
          return output;
        } catch (error) {
          timed(s3CallFailure(error));
          throw error;
        }
      },
      { step: 'initialize', name: 'callTiming' },
    );
    return client;
  };

  return {
    forRegion(region) {
      let client = clients.get(region);
      if (client === undefined) {
        client = build(region);
        clients.set(region, client);
      }
      return client;
    },
    forCredentials(region, key, credentials) {
      const id = `${region}\n${key}`;
      const client = roleClients.get(id) ?? build(region, credentials);
      // Re-inserted: the map's first entry is always the least recently used.
      roleClients.delete(id);
      roleClients.set(id, client);
      if (roleClients.size > MAX_ROLE_CLIENTS) {
        const [oldestId, oldest] = roleClients.entries().next().value ?? [];
        if (oldestId !== undefined) roleClients.delete(oldestId);
        oldest?.destroy();
      }
      return client;
    },
    destroy() {
      for (const client of [...clients.values(), ...roleClients.values()]) client.destroy();
      clients.clear();
      roleClients.clear();
    },
  };
}
