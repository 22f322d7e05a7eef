import { isIP } from 'node:net';
import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';
import { parseRedisUrl } from './store/redis-url';
import { PARTITIONS, type Partition } from './domain/partition';
import { parseIamPrincipal, type PrincipalRules, type Principals } from './domain/principal';
import { AppError, InvalidRedisUrlError } from './errors';
import { encryptionKeyProblem } from './store/secrets';
import { HOW_TO_MAKE_A_SECRET, splitWebhookSecrets, webhookSecretProblem } from './events/signing';

/** A DNS host name: dot-separated labels of letters, digits and inner hyphens. */
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Only true/1/false/0: `z.coerce.boolean()` would read "false" as true. */
const envBoolean = (fallback: boolean) =>
  z
    .enum(['true', '1', 'false', '0'], { message: 'must be one of true, 1, false, 0' })
    .optional()
    .transform((value) => (value === undefined ? fallback : value === 'true' || value === '1'));

const envInteger = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return parsed;
    });

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const httpUrl = (what: string) =>
  optionalString.refine((value) => value === undefined || /^https?:\/\/[^\s/]+/.test(value), {
    message: `must be an http(s) URL for ${what}`,
  });

/** An optional 32-byte base64 key for the secrets stored in Redis. */
const encryptionKey = optionalString.superRefine((value, ctx) => {
  const problem = value === undefined ? undefined : encryptionKeyProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const envSchema = z.object({
  // Required unless the app serves many workspaces with OAuth: checked in crossProblems.
  SLACK_BOT_TOKEN: optionalString.refine(
    (value) => value === undefined || /^xoxb-\S+$/.test(value),
    {
      message: 'must be a bot token starting with xoxb-',
    },
  ),
  SLACK_CLIENT_ID: optionalString,
  SLACK_CLIENT_SECRET: optionalString,
  SLACK_STATE_SECRET: optionalString,
  // How long an uninstalled workspace's saved destinations wait for a re-install: 30 days.
  UNINSTALL_RETENTION_SECONDS: envInteger(30 * 86400, 1, 365 * 86400),
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString.refine(
    (value) => value === undefined || /^xapp-\S+$/.test(value),
    {
      message: 'must be an app-level token starting with xapp-',
    },
  ),
  SLACK_API_URL: httpUrl('the Slack Web API'),
  PORT: envInteger(3000, 0, 65535),
  REDIS_URL: optionalString.superRefine((value, ctx) => {
    if (value === undefined) return;
    try {
      parseRedisUrl(value);
    } catch (error) {
      if (!(error instanceof InvalidRedisUrlError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message });
    }
  }),
  // The ARNs' form depends on S3_ENDPOINT: checked in crossProblems, with the rest.
  POLICY_PRINCIPAL_ARN: z
    .string({ message: 'is required (the IAM role ARN written into each bucket policy)' })
    .transform((value) => value.trim()),
  POLICY_PRINCIPAL_ARN_CN: optionalString,
  POLICY_PRINCIPAL_ARN_US_GOV: optionalString,
  AWS_PROFILE_CN: optionalString,
  AWS_PROFILE_US_GOV: optionalString,
  AWS_REGION: optionalString.transform((value) => value ?? 'us-east-1'),
  S3_ENDPOINT: httpUrl('an S3-compatible endpoint'),
  STS_ENDPOINT: httpUrl('the STS endpoint'),
  S3_FORCE_PATH_STYLE: envBoolean(false),
  S3_TIMEOUT_MS: envInteger(5000, 100, 60000),
  SESSION_TTL_SECONDS: envInteger(86400, 60, 30 * 86400),
  NGROK_AUTHTOKEN: optionalString,
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
  ADMIN_USER_IDS: optionalString.transform((value) =>
    value === undefined
      ? []
      : value
          .split(',')
          .map((id) => id.trim())
          .filter(Boolean),
  ),
  MONITOR_INTERVAL_SECONDS: envInteger(3600, 0, 7 * 86400),
  // Checks one replica's monitor runs at once; every replica takes its share of a round.
  MONITOR_CONCURRENCY: envInteger(16, 1, 1000),
  // The pause before a newly failing destination is checked again, before anyone is alerted.
  MONITOR_CONFIRM_DELAY_SECONDS: envInteger(60, 0, 3600),
  // How long a killed replica's running checks wait before another replica takes them over.
  MONITOR_STALL_SECONDS: envInteger(30, 1, 600),
  // Prometheus metrics at GET /metrics on this port only; unset: no metrics.
  METRICS_PORT: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return undefined;
      const port = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(port) || port > 65535) {
        ctx.addIssue({ code: 'custom', message: 'must be a port number from 0 to 65535' });
        return z.NEVER;
      }
      return port;
    }),
  // The address the metrics port listens on: every address by default (a scraper in another
  // container must reach it); 127.0.0.1 keeps it on the machine.
  METRICS_HOST: optionalString
    .refine((value) => value === undefined || isIP(value) !== 0 || HOST_NAME.test(value), {
      message:
        'must be an IP address or a host name (0.0.0.0: every address; 127.0.0.1: this machine only)',
    })
    .transform((value) => value ?? '0.0.0.0'),
  // The loader API's bearer tokens; none: the API is off.
  LOADER_API_TOKENS: optionalString.transform((value) =>
    (value ?? '')
      .split(',')
      .map((token) => token.trim())
      .filter(Boolean),
  ),
  LOADER_WEBHOOK_URL: httpUrl('the loader’s change events'),
  // One or several Standard Webhooks secrets, space-separated: each signs every event.
  LOADER_WEBHOOK_SECRET: optionalString
    .superRefine((value, ctx) => {
      for (const [index, secret] of splitWebhookSecrets(value ?? '').entries()) {
        const problem = webhookSecretProblem(secret);
        if (problem) {
          ctx.addIssue({
            code: 'custom',
            message: `has a secret (number ${index + 1}) that ${problem}; ${HOW_TO_MAKE_A_SECRET}`,
          });
        }
      }
    })
    .transform((value) => splitWebhookSecrets(value ?? '')),
  // Seals challenge names and tokens in Redis (src/store/secrets.ts); the previous key only opens.
  STORE_ENCRYPTION_KEY: encryptionKey,
  STORE_ENCRYPTION_KEY_PREVIOUS: encryptionKey,
});

/** The variable that holds each partition's principal. */
export const PRINCIPAL_VARIABLES = {
  aws: 'POLICY_PRINCIPAL_ARN',
  'aws-cn': 'POLICY_PRINCIPAL_ARN_CN',
  'aws-us-gov': 'POLICY_PRINCIPAL_ARN_US_GOV',
} as const satisfies Record<Partition, string>;

/** The variable that names the AWS profile checking each partition's buckets (aws: the chain). */
export const PROFILE_VARIABLES = {
  'aws-cn': 'AWS_PROFILE_CN',
  'aws-us-gov': 'AWS_PROFILE_US_GOV',
} as const satisfies Partial<Record<Partition, string>>;

/** What is wrong with `arn` as the principal of `partition`, or undefined when nothing is. */
function principalProblem(
  partition: Partition,
  arn: string,
  rules: PrincipalRules,
): string | undefined {
  const variable = PRINCIPAL_VARIABLES[partition];
  const stated = /^arn:([^:]*):/.exec(arn)?.[1];
  if (stated !== undefined && stated !== partition) {
    const home = PARTITIONS.find((p) => p === stated);
    return (
      `${variable} must be an ARN of the ${partition} partition (arn:${partition}:…), not arn:${stated}:` +
      (home ? `; an ${home} principal belongs in ${PRINCIPAL_VARIABLES[home]}` : '')
    );
  }
  const parsed = parseIamPrincipal(arn, rules);
  return parsed.ok ? undefined : `${variable} ${parsed.problem}`;
}

/** The variables that together select many workspaces with OAuth (docs/OPERATIONS.md). */
export const OAUTH_VARIABLES = [
  'SLACK_CLIENT_ID',
  'SLACK_CLIENT_SECRET',
  'SLACK_STATE_SECRET',
] as const;

/** One workspace with a bot token, or many with OAuth: exactly one of them, and what it needs. */
function slackModeProblems(env: Record<string, string | undefined>): string[] {
  const oauthSet = OAUTH_VARIABLES.filter((name) => env[name]);
  if (oauthSet.length === 0) {
    return env.SLACK_BOT_TOKEN
      ? []
      : [
          'SLACK_BOT_TOKEN is required (the bot token, xoxb-…), or set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET to serve many workspaces with OAuth',
        ];
  }
  const problems: string[] = [];
  const missing = OAUTH_VARIABLES.filter((name) => !env[name]);
  if (missing.length > 0) {
    problems.push(
      `${oauthSet.join(', ')} ${oauthSet.length === 1 ? 'is' : 'are'} set but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not: OAuth mode needs all three`,
    );
  }
  if (env.ADMIN_USER_IDS) {
    problems.push(
      'ADMIN_USER_IDS must be unset in OAuth mode: each workspace has its own admins (who installed the app, the workspace’s owners and admins, and the people they add in the App Home’s Admins section)',
    );
  }
  if (env.SLACK_BOT_TOKEN) {
    problems.push(
      'SLACK_BOT_TOKEN must be unset in OAuth mode (SLACK_CLIENT_ID …): each workspace’s token comes from its installation',
    );
  }
  if (!env.STORE_ENCRYPTION_KEY) {
    problems.push(
      'STORE_ENCRYPTION_KEY is required in OAuth mode: it encrypts the workspaces’ tokens in Redis (openssl rand -base64 32)',
    );
  }
  if (!env.REDIS_URL) {
    problems.push(
      'REDIS_URL is required in OAuth mode: installations and OAuth state live in Redis so that every replica can use them',
    );
  }
  return problems;
}

/** Many workspaces with OAuth, when the configuration asks for it. */
export function oauthSettingsFrom(
  config: Config,
): { clientId: string; clientSecret: string; stateSecret: string } | undefined {
  const { SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET } = config;
  if (!SLACK_CLIENT_ID || !SLACK_CLIENT_SECRET || !SLACK_STATE_SECRET) return undefined;
  return {
    clientId: SLACK_CLIENT_ID,
    clientSecret: SLACK_CLIENT_SECRET,
    stateSecret: SLACK_STATE_SECRET,
  };
}

/** Rules across variables; checked on the raw environment so they are reported with the rest. */
function crossProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  // An S3-compatible engine has its own idea of accounts (Ceph RGW: tenants, or none).
  const rules = { s3Compatible: env.S3_ENDPOINT !== undefined };
  for (const partition of PARTITIONS) {
    const arn = env[PRINCIPAL_VARIABLES[partition]]?.trim();
    const problem = arn ? principalProblem(partition, arn, rules) : undefined;
    if (problem) problems.push(problem);
  }
  for (const [partition, profile] of Object.entries(PROFILE_VARIABLES) as [Partition, string][]) {
    if (env[profile] && !env[PRINCIPAL_VARIABLES[partition]]) {
      problems.push(
        `${profile} is set but ${PRINCIPAL_VARIABLES[partition]} is not: the bot serves no ${partition} buckets without a principal there`,
      );
    }
  }
  problems.push(...slackModeProblems(env));
  if (!env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) {
    problems.push(
      'SLACK_SIGNING_SECRET is required in HTTP mode (set it, or set SLACK_APP_TOKEN for Socket Mode)',
    );
  }
  if (Boolean(env.LOADER_WEBHOOK_URL) !== Boolean(env.LOADER_WEBHOOK_SECRET)) {
    problems.push('LOADER_WEBHOOK_URL and LOADER_WEBHOOK_SECRET must be set together');
  }
  if (env.LOADER_WEBHOOK_URL && !env.REDIS_URL) {
    problems.push('LOADER_WEBHOOK_URL needs REDIS_URL: the change events wait in a Redis stream');
  }
  const metricsPort = env.METRICS_PORT;
  if (
    metricsPort &&
    metricsPort !== '0' &&
    metricsPort === (env.PORT ?? '3000') &&
    !env.SLACK_APP_TOKEN
  ) {
    problems.push('METRICS_PORT must differ from PORT: the metrics are never served to Slack');
  }
  if (env.STORE_ENCRYPTION_KEY_PREVIOUS && !env.STORE_ENCRYPTION_KEY) {
    problems.push(
      'STORE_ENCRYPTION_KEY_PREVIOUS is set but STORE_ENCRYPTION_KEY is not: while rotating, the new key is STORE_ENCRYPTION_KEY and the old one STORE_ENCRYPTION_KEY_PREVIOUS',
    );
  }
  for (const id of (env.ADMIN_USER_IDS ?? '').split(',').map((part) => part.trim())) {
    if (id && !/^[UW][A-Z0-9]+$/.test(id)) {
      problems.push(`ADMIN_USER_IDS has "${id}", which is not a Slack user id (like U012ABCDEF)`);
    }
  }
  return problems;
}

export type Config = z.output<typeof envSchema>;

/** The principal of each partition the configuration serves; `aws` always has one. */
export function principalsFrom(config: Config): Principals {
  return {
    aws: config.POLICY_PRINCIPAL_ARN,
    ...(config.POLICY_PRINCIPAL_ARN_CN ? { 'aws-cn': config.POLICY_PRINCIPAL_ARN_CN } : {}),
    ...(config.POLICY_PRINCIPAL_ARN_US_GOV
      ? { 'aws-us-gov': config.POLICY_PRINCIPAL_ARN_US_GOV }
      : {}),
  };
}

/** Raised when the environment does not make a valid Config; the message names every problem. */
export class ConfigError extends AppError {
  constructor(readonly problems: string[]) {
    super(
      'invalid_config',
      `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
}

/** Parses the environment into a Config, reporting all problems at once. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  // An empty value is no value: `FOO=` in .env falls back to the default.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const result = envSchema.safeParse(present);
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => {
        const name = issue.path.length > 0 ? String(issue.path[0]) : 'environment';
        return `${name} ${issue.message}`;
      });
  problems.push(...crossProblems(present));
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

/** Reads `.env` when present (never overriding the real environment), then parses process.env. */
export function loadConfig(): Config {
  loadDotenv({ quiet: true });
  return parseConfig(process.env);
}
