import { GetCallerIdentityCommand, STSClient, type STSClientConfig } from '@aws-sdk/client-sts';
import { regionInPartition, type Partition } from '../domain/partition';
import { callerIsPrincipal } from '../domain/principal';
import { AppError, IncompleteAnswerError } from '../errors';
import type { Logger } from '../log/logger';
import { awsClientConfig } from './aws-client-config';

/** A principal the bot must prove it is, with where it was configured (for messages). */
export interface ExpectedPrincipal {
  readonly partition: Partition;
  readonly arn: string;
  /** The variable that holds `arn`, e.g. `POLICY_PRINCIPAL_ARN_CN`. */
  readonly variable: string;
  /** Where this partition's credentials come from, in words: "the default credential chain". */
  readonly credentialsFrom: string;
}

/** Asks who the bot's credentials for a partition belong to. */
export interface CallerIdentitySource {
  /** The caller's ARN, as sts:GetCallerIdentity answers it. */
  callerArn(partition: Partition): Promise<string>;
  /** Where the question goes, for messages: "STS at https://…" or "AWS STS in cn-north-1". */
  where(partition: Partition): string;
}

/** The bot's AWS identity is not the configured principal. */
export class IdentityMismatchError extends AppError {
  constructor(
    readonly callerArn: string,
    readonly expected: ExpectedPrincipal,
  ) {
    super(
      'identity_mismatch',
      `The bot's AWS identity is ${callerArn}, but ${expected.variable} is ${expected.arn}: ` +
        'the bot must check buckets as the principal their policies grant, or an administrator ' +
        'would pass every check with no bucket policy at all. Give the bot the credentials of ' +
        `${expected.arn} (now from ${expected.credentialsFrom}), or set ${expected.variable} to the ` +
        'role the bot and the loader really run as.',
    );
  }
}

/** Why STS gave no answer: no credentials to ask with, a refusal, or no answer at all. */
export type IdentityFailure = 'no_credentials' | 'refused' | 'unanswered';

/** No STS answered the question, or it refused the bot's credentials. */
export class IdentityUnavailableError extends AppError {
  constructor(
    readonly expected: ExpectedPrincipal,
    readonly failure: IdentityFailure,
    where: string,
    attempts: number,
    cause: unknown,
  ) {
    const what = {
      no_credentials: `the bot found no AWS credentials in ${expected.credentialsFrom}`,
      refused: `${where} refused the bot's credentials (${expected.credentialsFrom})`,
      unanswered: `${where} did not answer (${attempts} ${attempts === 1 ? 'try' : 'tries'})`,
    }[failure];
    super(
      'identity_unavailable',
      `The bot could not prove that its AWS identity is ${expected.variable} (${expected.arn}): ` +
        `${what}: ${describeError(cause)}. Check the bot's AWS credentials and its network path ` +
        'to STS (STS_ENDPOINT sets another endpoint).',
      { cause },
    );
  }
}

export interface ProveIdentityInput {
  readonly expected: readonly ExpectedPrincipal[];
  /** Undefined when no STS can be asked (an S3-compatible engine without STS_ENDPOINT). */
  readonly source?: CallerIdentitySource;
  readonly logger: Logger;
  /** Tries per partition before giving up; default 3. */
  readonly attempts?: number;
  /** Pause between tries; default 1000 ms. */
  readonly retryDelayMs?: number;
  /**
   * An S3-compatible engine's STS (STS_ENDPOINT with S3_ENDPOINT) may serve AssumeRole but not
   * GetCallerIdentity (Ceph RGW 16 answers 405): then the identity is left unproven, with the
   * warning, instead of stopping the start.
   */
  readonly unimplementedIsUnproven?: boolean;
}

/**
 * Proves that the bot's AWS identity is every expected principal. Resolves true when proven,
 * false when there is no STS to ask (after one warning); rejects with IdentityMismatchError or
 * IdentityUnavailableError otherwise.
 */
export async function proveIdentity(input: ProveIdentityInput): Promise<boolean> {
  const { source, logger } = input;
  if (source === undefined) {
    logger.warn(
      { principals: input.expected.map((expected) => expected.arn) },
      'S3_ENDPOINT is set and STS_ENDPOINT is not: no STS can prove that the bot is the principal written into bucket policies. Starting anyway; every check result says that the identity was not proven.',
    );
    return false;
  }
  for (const expected of input.expected) {
    let callerArn: string;
    try {
      callerArn = await askWithRetries(source, expected, input);
    } catch (error) {
      if (!input.unimplementedIsUnproven || !answersNotImplemented(error)) throw error;
      logger.warn(
        { where: source.where(expected.partition), principal: expected.arn },
        'The STS endpoint does not implement GetCallerIdentity: no STS can prove that the bot is the principal written into bucket policies. Starting anyway; every check result says that the identity was not proven.',
      );
      return false;
    }
    if (!callerIsPrincipal(callerArn, expected.arn)) {
      throw new IdentityMismatchError(callerArn, expected);
    }
    logger.info(
      { partition: expected.partition, callerArn, principal: expected.arn },
      'AWS identity proven: the bot is the principal of its bucket policies',
    );
  }
  return true;
}

async function askWithRetries(
  source: CallerIdentitySource,
  expected: ExpectedPrincipal,
  input: ProveIdentityInput,
): Promise<string> {
  const attempts = input.attempts ?? 3;
  const delayMs = input.retryDelayMs ?? 1000;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await source.callerArn(expected.partition);
    } catch (error) {
      const failure = failureOf(error);
      // No credentials, or a refusal, would come back the same: only a missing answer is retried.
      if (attempt >= attempts || failure !== 'unanswered') {
        throw new IdentityUnavailableError(
          expected,
          failure,
          source.where(expected.partition),
          attempt,
          error,
        );
      }
      input.logger.warn(
        { err: error, attempt, partition: expected.partition },
        'STS did not answer; trying again',
      );
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** STS answered that it does not serve GetCallerIdentity at all (HTTP 405 or 501, InvalidAction). */
function answersNotImplemented(error: unknown): boolean {
  const cause = error instanceof IdentityUnavailableError ? error.cause : error;
  const name = (cause as { name?: string }).name;
  const status = (cause as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === 405 || status === 501 || name === 'InvalidAction' || name === 'NotImplemented';
}

function failureOf(error: unknown): IdentityFailure {
  if ((error as { name?: string }).name === 'CredentialsProviderError') return 'no_credentials';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined && status >= 400 && status < 500 && status !== 429) return 'refused';
  return 'unanswered';
}

function describeError(error: unknown): string {
  // Node reports a refused connection to a name with several addresses as an AggregateError.
  if (error instanceof AggregateError && error.errors.length > 0) {
    return describeError(error.errors[0]);
  }
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code;
  const name = error.name === 'Error' && code ? code : error.name;
  return error.message ? `${name}: ${error.message}` : name;
}

export interface StsIdentitySourceOptions {
  /** STS_ENDPOINT, for every partition; unset: AWS's regional endpoint of each partition. */
  readonly endpoint?: string;
  /** AWS_REGION: used for its own partition; other partitions use a region of their own. */
  readonly region: string;
  readonly timeoutMs: number;
  /** A partition's credentials (its named profile); unset: the default credential chain. */
  readonly credentials: Readonly<Partial<Record<Partition, STSClientConfig['credentials']>>>;
}

/** sts:GetCallerIdentity, one client per partition; `destroy` closes them. */
export function createStsIdentitySource(
  options: StsIdentitySourceOptions,
): CallerIdentitySource & { destroy(): void } {
  const clients = new Map<Partition, STSClient>();
  const clientFor = (partition: Partition) => {
    let client = clients.get(partition);
    if (client === undefined) {
      const credentials = options.credentials[partition];
      client = new STSClient(
        awsClientConfig({
          region: regionInPartition(partition, options.region),
          endpoint: options.endpoint,
          credentials,
          timeoutMs: options.timeoutMs,
          // proveIdentity retries, and says so.
          maxAttempts: 1,
        }),
      );
      clients.set(partition, client);
    }
    return client;
  };
  return {
    async callerArn(partition) {
      const answer = await clientFor(partition).send(new GetCallerIdentityCommand({}));
      if (!answer.Arn) throw new IncompleteAnswerError('GetCallerIdentity answered without an Arn');
      return answer.Arn;
    },
    where(partition) {
      return options.endpoint === undefined
        ? `AWS STS in ${regionInPartition(partition, options.region)}`
        : `STS at ${options.endpoint}`;
    },
    destroy() {
      for (const client of clients.values()) client.destroy();
      clients.clear();
    },
  };
}
