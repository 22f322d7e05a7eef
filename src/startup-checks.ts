import { webApi } from '@slack/bolt';
import { PRINCIPAL_VARIABLES, principalsFrom, type Config } from './config';
import { PARTITIONS } from './domain/partition';
import { BotIdentityError } from './errors';
import { toSlackLogger, type Logger } from './log/logger';
import { partitionCredentials, profileOf } from './partition-credentials';
import { createStsIdentitySource, proveIdentity, type ExpectedPrincipal } from './verify/identity';

// What start-up proves before the bot serves anyone: the AWS identity it writes into bucket
// policies, and the Slack bot token it answers with.

// Long enough for a distant region, short enough that three tries stay within seconds.
const STS_TIMEOUT_MS = 3000;

/**
 * Proves, before the bot serves anyone, that its AWS identity is the principal of every partition
 * it serves (sts:GetCallerIdentity). Resolves false when no STS can be asked (an S3-compatible
 * endpoint without STS_ENDPOINT); rejects, naming both ARNs or the cause, otherwise.
 */
export async function proveAwsIdentity(config: Config, logger: Logger): Promise<boolean> {
  const principals = principalsFrom(config);
  const expected: ExpectedPrincipal[] = PARTITIONS.flatMap((partition) => {
    const arn = principals[partition];
    if (arn === undefined) return [];
    const profile = profileOf(config, partition);
    const credentialsFrom = profile ? `the AWS profile ${profile}` : 'the default credential chain';
    return [{ partition, arn, variable: PRINCIPAL_VARIABLES[partition], credentialsFrom }];
  });
  if (config.S3_ENDPOINT !== undefined && config.STS_ENDPOINT === undefined) {
    return proveIdentity({ expected, logger });
  }
  const source = createStsIdentitySource({
    endpoint: config.STS_ENDPOINT,
    region: config.AWS_REGION,
    timeoutMs: STS_TIMEOUT_MS,
    credentials: partitionCredentials(config),
  });
  try {
    return await proveIdentity({
      expected,
      source,
      logger,
      unimplementedIsUnproven: config.S3_ENDPOINT !== undefined,
    });
  } finally {
    source.destroy();
  }
}

/** The bot's own ids, which Bolt needs to tell its own messages from others'. */
export interface BotIdentity {
  readonly botId: string;
  readonly botUserId: string;
}

/**
 * Asks Slack who the bot token belongs to, once, before the app starts. A refused token or an
 * unreachable Slack stops start-up with a clear reason instead of failing every later request.
 */
export async function identifyBot(config: Config, logger: Logger): Promise<BotIdentity> {
  const client = new webApi.WebClient(config.SLACK_BOT_TOKEN, {
    ...(config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL } : {}),
    retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2000 },
    timeout: 5000,
    logger: toSlackLogger(logger),
  });
  let result;
  try {
    result = await client.auth.test();
  } catch (error) {
    const code = (error as { data?: { error?: string } }).data?.error;
    if (code) throw new BotIdentityError(`Slack refused SLACK_BOT_TOKEN (${code}).`, error);
    const where = config.SLACK_API_URL ?? 'https://slack.com/api/';
    throw new BotIdentityError(
      `Slack could not be reached at ${where} to check SLACK_BOT_TOKEN.`,
      error,
    );
  }
  if (!result.bot_id || !result.user_id) {
    throw new BotIdentityError(
      'SLACK_BOT_TOKEN is not a bot token (xoxb-…): auth.test returned no bot id.',
    );
  }
  return { botId: result.bot_id, botUserId: result.user_id };
}
