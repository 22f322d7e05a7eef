import { AssumeRoleCommand, STSClient, type STSClientConfig } from '@aws-sdk/client-sts';
import type { RoleAccess } from '../domain/access';
import { partitionForRegion, type Partition } from '../domain/partition';
import { awsClientConfig } from './aws-client-config';

/** Temporary credentials of an assumed role; held in memory only, never logged or stored. */
export interface RoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export interface RoleCredentialsOptions {
  /** STS_ENDPOINT (an S3-compatible engine's STS); unset: AWS STS in the bucket's region. */
  readonly endpoint?: string;
  readonly timeoutMs: number;
  /** The bot's identity per partition (its named profile); unset: the default credential chain. */
  readonly credentials?: Readonly<Partial<Record<Partition, STSClientConfig['credentials']>>>;
  /** How long before expiry cached credentials are replaced; default 5 minutes. */
  readonly refreshBeforeMs?: number;
  /** Roles whose credentials are kept at once; the least recently used goes first. Default 1000. */
  readonly maxCached?: number;
  readonly now?: () => number;
}

/** Assumes customers' roles as the bot's principal, and keeps their credentials until near expiry. */
export interface RoleCredentialsSource {
  /** The role's credentials, assumed with its ExternalId (cached); rejects with STS's error. */
  credentialsFor(
    access: RoleAccess,
    region: string,
    sessionName: string,
    signal?: AbortSignal,
  ): Promise<RoleCredentials>;
  /** Whether the role can be assumed WITHOUT its ExternalId (it should not). Rejects with STS's error. */
  assumableWithoutExternalId(
    access: RoleAccess,
    region: string,
    sessionName: string,
    signal?: AbortSignal,
  ): Promise<boolean>;
  destroy(): void;
}

const DEFAULT_REFRESH_BEFORE_MS = 5 * 60 * 1000;
const DEFAULT_MAX_CACHED = 1000;
// STS's allowed session name characters; anything else becomes "-".
const SESSION_NAME_REFUSED = /[^\w+=,.@-]/g;

/** The role session name for a workspace, e.g. `s3-destination-T0123`: at most 64 characters. */
export function roleSessionName(teamId: string | undefined): string {
  return `s3-destination-${teamId ?? 'bot'}`.replace(SESSION_NAME_REFUSED, '-').slice(0, 64);
}

/** The one key of a role's credentials: a new ExternalId must be proven by a new AssumeRole. */
const keyOf = (access: RoleAccess) => `${access.roleArn}\n${access.externalId}`;

/** An STS client for `region`, as the bot's principal of the region's partition. */
function newStsClient(options: RoleCredentialsOptions, region: string): STSClient {
  const credentials = options.credentials?.[partitionForRegion(region)];
  return new STSClient(
    awsClientConfig({
      region,
      endpoint: options.endpoint,
      credentials,
      timeoutMs: options.timeoutMs,
      maxAttempts: 2,
    }),
  );
}

/** One AssumeRole of `access`, with or without its ExternalId; rejects with STS's error. */
async function assumeRole(
  client: STSClient,
  request: { access: RoleAccess; sessionName: string; withExternalId: boolean },
  now: () => number,
  signal?: AbortSignal,
): Promise<RoleCredentials> {
  const { access } = request;
  const answer = await client.send(
    new AssumeRoleCommand({
      RoleArn: access.roleArn,
      RoleSessionName: request.sessionName,
      ...(request.withExternalId ? { ExternalId: access.externalId } : {}),
    }),
    signal ? { abortSignal: signal } : {},
  );
  const issued = answer.Credentials;
  if (!issued?.AccessKeyId || !issued.SecretAccessKey || !issued.SessionToken) {
    throw Object.assign(new Error('AssumeRole answered without credentials'), {
      name: 'IncompleteAnswer',
    });
  }
  return {
    accessKeyId: issued.AccessKeyId,
    secretAccessKey: issued.SecretAccessKey,
    sessionToken: issued.SessionToken,
    expiration: issued.Expiration ?? new Date(now() + 15 * 60 * 1000),
  };
}

export function createRoleCredentialsSource(
  options: RoleCredentialsOptions,
): RoleCredentialsSource {
  const now = options.now ?? Date.now;
  const refreshBeforeMs = options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS;
  const maxCached = options.maxCached ?? DEFAULT_MAX_CACHED;
  const cache = new Map<string, RoleCredentials>();
  const clients = new Map<string, STSClient>();

  const clientFor = (region: string) => {
    let client = clients.get(region);
    if (client === undefined) {
      client = newStsClient(options, region);
      clients.set(region, client);
    }
    return client;
  };
  const assume = (
    access: RoleAccess,
    region: string,
    sessionName: string,
    withExternalId: boolean,
    signal?: AbortSignal,
  ) => assumeRole(clientFor(region), { access, sessionName, withExternalId }, now, signal);

  return {
    async credentialsFor(access, region, sessionName, signal) {
      const key = keyOf(access);
      const cached = cache.get(key);
      if (cached && cached.expiration.getTime() - refreshBeforeMs > now()) {
        // Re-inserted: the map's first entry is always the least recently used.
        cache.delete(key);
        cache.set(key, cached);
        return cached;
      }
      const fresh = await assume(access, region, sessionName, true, signal);
      cache.delete(key);
      cache.set(key, fresh);
      if (cache.size > maxCached) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return fresh;
    },
    async assumableWithoutExternalId(access, region, sessionName, signal) {
      try {
        await assume(access, region, sessionName, false, signal);
        return true;
      } catch (error) {
        const name = (error as { name?: string }).name;
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata
          ?.httpStatusCode;
        if (name === 'AccessDenied' || status === 403) return false;
        throw error;
      }
    },
    destroy() {
      for (const client of clients.values()) client.destroy();
      clients.clear();
      cache.clear();
    },
  };
}
