import {
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { ConcurrencyLimit } from './concurrency-limit';
import { classifyS3Error, explainCheck, isOperatorFault } from './explain';
import {
  CHECK_NAMES,
  type CheckName,
  type CheckOutcome,
  type CheckResult,
  type VerificationReport,
  type Verifier,
  type VerifyTarget,
  WRITE_CHECK_KEY,
} from './report';
import type { S3ClientFactory } from './s3-clients';

export interface S3VerifierOptions {
  /** Bound on each S3 call; a check that takes longer is reported as a timeout. */
  readonly timeoutMs: number;
  /** Verifications that may run at once; the rest wait their turn. Default 12. */
  readonly maxConcurrent?: number;
}

/**
 * Twelve verifications make 48 S3 calls, within the SDK's 50 sockets per client, so no call waits
 * for a socket while its deadline runs.
 */
const DEFAULT_MAX_CONCURRENT = 12;

interface Observation {
  readonly check: CheckName;
  readonly outcome: CheckOutcome;
  readonly actualRegion?: string;
  readonly detail?: string;
}

type Probe = (signal: AbortSignal) => Promise<Omit<Observation, 'check'>>;

/**
 * Runs the four checks of DESIGN.md section 4 concurrently with the bot's own credentials.
 * Never throws for an S3 problem, never creates the challenge object, never logs anything.
 *
 * Verifications beyond `maxConcurrent` wait for a turn before their deadlines start: a burst of
 * Check and Save clicks (or clicks during a monitor sweep) then gets late answers instead of
 * false "S3 did not answer in time" failures from calls that were only queued behind each other.
 */
export class S3Verifier implements Verifier {
  private readonly turns: ConcurrencyLimit;

  constructor(
    private readonly clients: Pick<S3ClientFactory, 'forRegion'>,
    private readonly options: S3VerifierOptions,
  ) {
    this.turns = new ConcurrencyLimit(options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT);
  }

  verify(target: VerifyTarget): Promise<VerificationReport> {
    return this.turns.run(() => this.verifyNow(target));
  }

  private async verifyNow(target: VerifyTarget): Promise<VerificationReport> {
    const probes = this.probes(target);
    const observed = await Promise.all(
      CHECK_NAMES.map((check) => this.observe(check, probes[check], target)),
    );
    const checks = reconcile(observed).map((observation) => toResult(observation, target));
    return {
      ok: checks.every((result) => result.passed),
      operatorFault: checks.some((result) => isOperatorFault(result.outcome)),
      checks,
    };
  }

  private probes(target: VerifyTarget): Record<CheckName, Probe> {
    const client = this.clients.forRegion(target.region);
    const { bucket, challengeKey } = target;
    const ok = { outcome: 'ok' } as const;
    return {
      challenge: async (abortSignal) => {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: challengeKey }), {
          abortSignal,
        });
        return ok;
      },
      list: async (abortSignal) => {
        await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }), {
          abortSignal,
        });
        return ok;
      },
      write: async (abortSignal) => {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: WRITE_CHECK_KEY, Body: Buffer.alloc(0) }),
          { abortSignal },
        );
        return ok;
      },
      region: async (abortSignal) => {
        const output = await client.send(new HeadBucketCommand({ Bucket: bucket }), {
          abortSignal,
        });
        return compareRegion(output.BucketRegion, target.region);
      },
    };
  }

  /** One check, bounded by the timeout, with every failure turned into an outcome. */
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
  });
  return {
    check: observation.check,
    outcome: observation.outcome,
    passed: observation.outcome === 'ok' || observation.outcome === 'skipped',
    // The challenge name is a credential: whatever S3 echoed back, it never reaches the user's text.
    text: target.challengeKey ? text.split(target.challengeKey).join('the challenge file') : text,
  };
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
