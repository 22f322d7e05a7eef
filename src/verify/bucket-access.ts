import type { S3Client } from '@aws-sdk/client-s3';
import { accessOf, type Access, type RoleAccess } from '../domain/access';
import { classifyS3Error, errorDetail } from './classify-s3-error';
import type { CheckOutcome } from './report';
import { roleSessionName, type RoleCredentialsSource } from './role-credentials';
import type { S3ClientFactory } from './s3-clients';

/** What reaching the bucket proved, or why it failed: the `access` check. */
export interface AccessObservation {
  readonly outcome: CheckOutcome;
  /** STS's error code and HTTP status, when it refused. */
  readonly detail?: string;
}

/** Where a bucket is and how it is reached. */
export interface AccessTarget {
  readonly region: string;
  /** Absent: the bucket policy (destinations saved before roles existed). */
  readonly access?: Access;
  /** Names the role session, so that the customer's CloudTrail shows whose session it is. */
  readonly teamId?: string;
}

export type BucketReach =
  | {
      readonly ok: true;
      readonly client: S3Client;
      /** What reaching it proved, when there was something to prove (a role was assumed). */
      readonly proven?: AccessObservation;
      /** A later look at the way in (the role without its ExternalId): run after the checks. */
      readonly probe?: (signal: AbortSignal) => Promise<AccessObservation>;
    }
  | { readonly ok: false; readonly failure: AccessObservation };

/**
 * The one way the bot reaches a destination's bucket: the S3 client that signs as our principal
 * (bucket policy) or as the customer's role. The verifier, the monitor and the loader example ask
 * it and never branch on which way was chosen.
 */
export interface BucketAccess {
  /** The client for the bucket, or why it cannot be reached; never rejects for the customer's side. */
  reach(target: AccessTarget, signal: AbortSignal): Promise<BucketReach>;
}

/** Reaches every bucket as our principal: the bucket policy way, the only one before roles. */
export function bucketPolicyAccess(clients: Pick<S3ClientFactory, 'forRegion'>): BucketAccess {
  return { reach: async (target) => ({ ok: true, client: clients.forRegion(target.region) }) };
}

/**
 * Reaches buckets the way each destination chose: our principal's own client for the bucket
 * policy; for a role, its credentials from STS (assumed with the ExternalId, cached until shortly
 * before they expire) in a client of their own. Without `roles` (no STS), a role cannot be reached.
 */
export function createBucketAccess(
  clients: Pick<S3ClientFactory, 'forRegion' | 'forCredentials'>,
  roles: RoleCredentialsSource | undefined,
): BucketAccess {
  const byPolicy = bucketPolicyAccess(clients);
  return {
    async reach(target, signal) {
      const access = accessOf(target);
      if (access.type === 'bucket_policy') return byPolicy.reach(target, signal);
      if (roles === undefined) {
        return { ok: false, failure: { outcome: 'unreachable', detail: 'no STS_ENDPOINT' } };
      }
      return reachRole(clients, roles, access, target, signal);
    },
  };
}

async function reachRole(
  clients: Pick<S3ClientFactory, 'forCredentials'>,
  roles: RoleCredentialsSource,
  access: RoleAccess,
  target: AccessTarget,
  signal: AbortSignal,
): Promise<BucketReach> {
  const { region } = target;
  const session = roleSessionName(target.teamId);
  try {
    await roles.credentialsFor(access, region, session, signal);
  } catch (error) {
    return { ok: false, failure: classifyAssumeRoleError(error) };
  }
  // The client asks the source each time: the cache answers, and assumes again near expiry.
  const client = clients.forCredentials(region, `${access.roleArn}\n${access.externalId}`, () =>
    roles.credentialsFor(access, region, session),
  );
  return {
    ok: true,
    client,
    proven: { outcome: 'ok' },
    probe: async (probeSignal) => {
      try {
        const open = await roles.assumableWithoutExternalId(access, region, session, probeSignal);
        return { outcome: open ? 'external_id_not_required' : 'ok' };
      } catch {
        // The role was assumed with the ExternalId; an STS hiccup now proves nothing either way.
        return { outcome: 'ok' };
      }
    },
  };
}

/** Maps what AssumeRole threw to our outcome, keeping STS's code (DESIGN: every refusal explained). */
export function classifyAssumeRoleError(error: unknown): AccessObservation {
  const detail = errorDetail(error);
  const withDetail = detail === undefined ? {} : { detail };
  const general = classifyS3Error(error).outcome;
  if (['unreachable', 'transient', 'timeout', 'no_credentials'].includes(general)) {
    return { outcome: general, ...withDetail };
  }
  const name = (error as { name?: unknown }).name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (name === 'InvalidClientTokenId') return { outcome: 'no_credentials', ...withDetail };
  if (name === 'RegionDisabledException') return { outcome: 'sts_region_disabled', ...withDetail };
  if ((typeof name === 'string' && name.startsWith('NoSuchEntity')) || status === 404) {
    return { outcome: 'role_not_found', ...withDetail };
  }
  if (name === 'AccessDenied' || status === 403) return { outcome: 'role_denied', ...withDetail };
  return { outcome: 'unexpected', ...withDetail };
}
