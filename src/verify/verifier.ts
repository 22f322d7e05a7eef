import { ConcurrencyLimit } from './concurrency-limit';
import { classifyS3Error } from './classify-s3-error';
import { explainCheck } from './explain';
import { listKey } from './key-listing';
import { headBucket, headObject, putEmptyObject } from './object-calls';
import {
  assembleReport,
  checkResult,
  type CheckName,
  type CheckOutcome,
  type CheckResult,
  type VerificationReport,
  WRITE_CHECK_KEY,
} from './report';
import type { Verifier, VerifyTarget, WatchTarget } from './verifier-port';
import type { S3Client } from '@aws-sdk/client-s3';
import { bucketPolicyAccess, type BucketAccess, type BucketReach } from './bucket-access';
import { S3_SOCKETS_PER_HOST, type S3ClientFactory } from './s3-clients';

export interface S3VerifierOptions {
  /** Bound on each S3 call; a check that takes longer is reported as a timeout. */
  readonly timeoutMs: number;
  /** Verifications that may run at once; the rest wait their turn. Default 50. */
  readonly maxConcurrent?: number;
}

/** A verification has at most two S3 calls in flight: the challenge file and the region. */
const CALLS_IN_FLIGHT_PER_CHECK = 2;

/**
 * As many verifications as the sockets of one host can serve at once, so that no call waits for a
 * socket while its deadline runs, even when every bucket is on one host (path style). The CPU is
 * no tighter bound: fifty checks take a few milliseconds of it each, a fraction of one deadline.
 */
const DEFAULT_MAX_CONCURRENT = S3_SOCKETS_PER_HOST / CALLS_IN_FLIGHT_PER_CHECK;

interface Observation {
  readonly check: CheckName;
  readonly outcome: CheckOutcome;
  readonly actualRegion?: string;
  readonly detail?: string;
  /** For `not_run`: what had to pass first. */
  readonly waitedFor?: 'access' | 'write' | 'owner';
  /** For listings: whether the object was listed. */
  readonly listed?: boolean;
  /** For listings: the owner of the object listed, when the engine reported one. */
  readonly ownerId?: string;
}

type Probe = (signal: AbortSignal) => Promise<Omit<Observation, 'check'>>;

/**
 * Runs the checks (docs/USER-GUIDE.md: Check and Save) with the bot's own credentials, in an
 * order that never writes into a bucket before its challenge file proves it is the user's. Never throws for an S3
 * problem, never creates the challenge object, never logs anything.
 *
 * Verifications beyond `maxConcurrent` wait for a turn before their deadlines start: a burst of
 * Check and Save clicks (or clicks during a monitor sweep) then gets late answers instead of
 * false "S3 did not answer in time" failures from calls that were only queued behind each other.
 */
export class S3Verifier implements Verifier {
  private readonly turns: ConcurrencyLimit;
  private readonly access: BucketAccess;

  /** `access` yields each bucket's client; a bare client factory reaches every bucket by bucket policy. */
  constructor(
    access: BucketAccess | Pick<S3ClientFactory, 'forRegion'>,
    private readonly options: S3VerifierOptions,
  ) {
    this.turns = new ConcurrencyLimit(options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT);
    this.access = 'reach' in access ? access : bucketPolicyAccess(access);
  }

  verify(target: VerifyTarget): Promise<VerificationReport> {
    return this.turns.run(() => this.verifyNow(target));
  }

  watch(target: WatchTarget): Promise<VerificationReport> {
    return this.turns.run(() => this.watchNow(target));
  }

  private async verifyNow(target: VerifyTarget): Promise<VerificationReport> {
    const reached = await this.reach(target);
    if (!reached.ok)
      return this.unreached(reached, target, ['list', 'write', 'ownership', 'region']);
    const s3 = this.calls(target, reached.client);
    // The region only reads, so it runs alongside the challenge.
    const [headed, region] = await Promise.all([
      this.observe('challenge', s3.headChallenge, target),
      this.observe('region', s3.region, target),
    ]);
    let challenge = headed;
    if (challenge.outcome === 'access_denied') {
      // A HEAD 403 has no body: it may be our own rejected key rather than the bucket's policy.
      // A listing (it only reads) names the error; it is not shown, the list check did not run.
      const named = await this.observe('list', s3.listOwner(target.challengeKey), target);
      if (named.outcome === 'no_credentials') challenge = { ...named, check: 'challenge' };
    }
    const rest: Partial<Record<'list' | 'write' | 'ownership', Observation>> = {};
    if (challenge.outcome === 'ok') {
      rest.list = await this.observe('list', s3.listOwner(target.challengeKey), target);
      challenge = pinOwner(challenge, rest.list, target.expectedOwnerId);
    }
    const ownerUnconfirmed =
      target.expectedOwnerId !== undefined && rest.list?.ownerId === undefined;
    if (challenge.outcome === 'ok' && ownerUnconfirmed) {
      // A pinned bucket whose owner the listing could not show may have changed hands: no write.
      rest.write = { check: 'write', outcome: 'not_run', waitedFor: 'owner' };
      rest.ownership = { check: 'ownership', outcome: 'not_run', waitedFor: 'write' };
    } else if (challenge.outcome === 'ok') {
      rest.write = await this.observe('write', s3.write, target);
      rest.ownership =
        rest.write.outcome === 'ok' && rest.list?.outcome === 'ok'
          ? compareOwners(
              rest.list,
              await this.observe('ownership', s3.listOwner(WRITE_CHECK_KEY), target),
            )
          : { check: 'ownership', outcome: 'not_run', waitedFor: 'write' };
    }
    const notRun = (check: 'list' | 'write' | 'ownership'): Observation =>
      rest[check] ?? { check, outcome: 'not_run' };
    // After the checks: what else the way in shows (a role that does not require its ExternalId).
    const access = reached.probe
      ? await this.observe('access', reached.probe, target)
      : reached.proven && { check: 'access' as const, ...reached.proven };
    return this.report(
      [
        ...(access ? [access] : []),
        challenge,
        notRun('list'),
        notRun('write'),
        notRun('ownership'),
        region,
      ],
      target,
      compared(region),
    );
  }

  /** Reaches the bucket the destination's way, within the call deadline. */
  private async reach(target: VerifyTarget): Promise<BucketReach> {
    try {
      return await withDeadline(
        (signal) => this.access.reach(target, signal),
        this.options.timeoutMs,
      );
    } catch (error) {
      return { ok: false, failure: { outcome: classifyS3Error(error).outcome } };
    }
  }

  /** The report when the bucket could not be reached: nothing else was tried. */
  private unreached(
    reached: Extract<BucketReach, { ok: false }>,
    target: VerifyTarget,
    others: readonly CheckName[],
  ): VerificationReport {
    const waiting = (check: CheckName): Observation => ({
      check,
      outcome: 'not_run',
      waitedFor: 'access',
    });
    return this.report(
      [{ check: 'access', ...reached.failure }, waiting('challenge'), ...others.map(waiting)],
      target,
      false,
    );
  }

  /**
   * One listing with the challenge's key as prefix answers presence, owner and the list permission
   * at once; only a file that is not listed (or a denied listing) costs a HeadObject, for S3's own
   * answer about it. Writes nothing.
   */
  private async watchNow(target: WatchTarget): Promise<VerificationReport> {
    const reached = await this.reach(target);
    if (!reached.ok) return this.unreached(reached, target, ['list']);
    const s3 = this.calls(target, reached.client);
    const [list, region] = await Promise.all([
      this.observe('list', s3.listOwner(target.challengeKey), target),
      target.checkRegion ? this.observe('region', s3.region, target) : undefined,
    ]);
    let challenge: Observation =
      list.outcome === 'ok' && list.listed
        ? { check: 'challenge', outcome: 'ok' }
        : list.outcome === 'ok' || list.outcome === 'access_denied'
          ? await this.observe('challenge', s3.headChallenge, target)
          : { ...list, check: 'challenge' };
    challenge = pinOwner(challenge, list, target.expectedOwnerId);
    const access = reached.proven ? [{ check: 'access' as const, ...reached.proven }] : [];
    return this.report(
      [...access, challenge, list, ...(region ? [region] : [])],
      target,
      region !== undefined && compared(region),
    );
  }

  private report(
    observed: readonly Observation[],
    target: VerifyTarget,
    regionChecked: boolean,
  ): VerificationReport {
    const listed = observed.find((o) => o.check === 'list');
    return assembleReport(
      reconcile(observed).map((observation) => toResult(observation, target)),
      {
        regionChecked,
        ...(listed?.ownerId === undefined ? {} : { challengeOwnerId: listed.ownerId }),
      },
    );
  }

  private calls(target: VerifyTarget, client: S3Client) {
    const { bucket, challengeKey } = target;
    const ok = { outcome: 'ok' } as const;
    return {
      headChallenge: (async (abortSignal) => {
        await headObject(client, bucket, challengeKey, abortSignal);
        return ok;
      }) satisfies Probe,
      /** Lists exactly `key` with its owner; `not_found` when it is not there. */
      listOwner:
        (key: string): Probe =>
        async (abortSignal) => ({
          outcome: 'ok',
          ...(await listKey(client, bucket, key, abortSignal)),
        }),
      write: (async (abortSignal) => {
        await putEmptyObject(client, bucket, WRITE_CHECK_KEY, abortSignal);
        return ok;
      }) satisfies Probe,
      region: (async (abortSignal) =>
        compareRegion(
          await headBucket(client, bucket, abortSignal),
          target.region,
        )) satisfies Probe,
    };
  }

  /** One call, bounded by the timeout, with every failure turned into an outcome. */
  private async observe(
    check: CheckName,
    probe: Probe,
    target: VerifyTarget,
  ): Promise<Observation> {
    try {
      return { check, ...(await withDeadline(probe, this.options.timeoutMs)) };
    } catch (error) {
      const { outcome, bucketRegion, detail } = classifyS3Error(error, check);
      // A HeadBucket 403 still carries the region header: enough to answer the region check.
      if (check === 'region' && outcome === 'access_denied' && bucketRegion !== undefined) {
        return { check, ...compareRegion(bucketRegion, target.region) };
      }
      if (outcome === 'wrong_region' && bucketRegion === target.region) {
        return { check, outcome: 'unexpected', detail: 'S3 redirected the request' };
      }
      return {
        check,
        outcome,
        ...(bucketRegion === undefined ? {} : { actualRegion: bucketRegion }),
        ...(detail === undefined ? {} : { detail }),
      };
    }
  }
}

/** Whether the region check got an answer (a mismatch, or an engine that reports no region). */
function compared(region: Observation): boolean {
  return (
    region.outcome === 'ok' || region.outcome === 'wrong_region' || region.outcome === 'skipped'
  );
}

/** The challenge fails when its owner is not the one saved with the destination. */
function pinOwner(
  challenge: Observation,
  listing: Observation,
  expectedOwnerId: string | undefined,
): Observation {
  if (challenge.outcome !== 'ok' || expectedOwnerId === undefined) return challenge;
  if (listing.ownerId === undefined || listing.ownerId === expectedOwnerId) return challenge;
  return { check: 'challenge', outcome: 'changed_hands' };
}

/** Ownership: the write-check object must belong to whoever owns the challenge file. */
function compareOwners(challengeListing: Observation, writeListing: Observation): Observation {
  if (writeListing.outcome !== 'ok') return writeListing;
  const theirs = challengeListing.ownerId;
  const ours = writeListing.ownerId;
  if (theirs === undefined || ours === undefined) return { check: 'ownership', outcome: 'skipped' };
  return { check: 'ownership', outcome: theirs === ours ? 'ok' : 'owner_differs' };
}

function compareRegion(
  actualRegion: string | undefined,
  chosenRegion: string,
): Omit<Observation, 'check'> {
  if (!actualRegion) return { outcome: 'skipped' };
  return actualRegion === chosenRegion
    ? { outcome: 'ok' }
    : { outcome: 'wrong_region', actualRegion };
}

/**
 * Corrects what one check cannot know alone. HEAD answers have no body: a 403 there may be the
 * bot's bad credentials that a GET named, and a 404 may be the missing bucket that a GET named.
 */
function reconcile(observed: readonly Observation[]): Observation[] {
  const credentialsFailed = observed.some((o) => o.outcome === 'no_credentials');
  const bucketMissing = observed.some((o) => o.outcome === 'no_such_bucket');
  return observed.map((observation) => {
    if (credentialsFailed && observation.outcome === 'access_denied') {
      return { check: observation.check, outcome: 'no_credentials' };
    }
    if (bucketMissing && observation.outcome === 'not_found') {
      return { check: observation.check, outcome: 'no_such_bucket' };
    }
    return observation;
  });
}

function toResult(observation: Observation, target: VerifyTarget): CheckResult {
  const text = explainCheck(observation.check, observation.outcome, {
    bucket: target.bucket,
    region: target.region,
    ...(observation.actualRegion === undefined ? {} : { actualRegion: observation.actualRegion }),
    ...(observation.detail === undefined ? {} : { detail: observation.detail }),
    ...(target.principalArn === undefined ? {} : { principalArn: target.principalArn }),
    ...(observation.waitedFor === undefined ? {} : { waitedFor: observation.waitedFor }),
    ...(target.access === undefined ? {} : { access: target.access }),
  });
  // The challenge name is a credential: whatever S3 echoed back, it never reaches the user's text.
  const safeText = target.challengeKey
    ? text.split(target.challengeKey).join('the challenge file')
    : text;
  const result = checkResult(observation.check, observation.outcome, safeText);
  return observation.actualRegion === undefined
    ? result
    : { ...result, actualRegion: observation.actualRegion };
}

/**
 * Aborts the call after `timeoutMs` and settles then even if the SDK does not (credential lookups,
 * for one, ignore the abort signal), so a slow server can never hang a check.
 */
async function withDeadline<T>(call: (signal: AbortSignal) => Promise<T>, timeoutMs: number) {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`S3 did not answer within ${timeoutMs} ms`);
      error.name = 'TimeoutError';
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([call(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
