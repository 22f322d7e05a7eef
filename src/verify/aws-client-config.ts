import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** What the bot's AWS clients (S3 and STS) are built with, whatever they call. */
export interface AwsClientSettings {
  readonly region: string;
  /** An S3-compatible engine's endpoint (or its STS's); unset: AWS's own for the region. */
  readonly endpoint?: string;
  /** The identity they sign with; unset: the SDK's default credential chain. */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Bound on connecting and on each request. */
  readonly timeoutMs: number;
  /** Tries of a call in all. */
  readonly maxAttempts: number;
  /** Sockets a client may open to one host; the SDK's default when unset. */
  readonly socketsPerHost?: number;
}

/**
 * The configuration the bot's S3 and STS clients share: the region and endpoint, the identity,
 * and a request handler that fails fast (a connection or a request past the time limit is an
 * error, not a wait), with the given tries.
 */
export function awsClientConfig(settings: AwsClientSettings) {
  const { endpoint, credentials, timeoutMs, socketsPerHost } = settings;
  const agent = socketsPerHost === undefined ? {} : { maxSockets: socketsPerHost };
  return {
    region: settings.region,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(credentials === undefined ? {} : { credentials }),
    // The options object is handed to the SDK's own NodeHttpHandler; importing that class would
    // mean depending on @smithy/node-http-handler, which package.json does not list.
    requestHandler: {
      connectionTimeout: timeoutMs,
      requestTimeout: timeoutMs,
      throwOnRequestTimeout: true,
      ...(socketsPerHost === undefined ? {} : { httpAgent: agent, httpsAgent: agent }),
    },
    maxAttempts: settings.maxAttempts,
  };
}
