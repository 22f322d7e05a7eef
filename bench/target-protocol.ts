/** What the benchmark tells a target process, and what the target answers (over the IPC channel). */

/**
 * `app`: the real app for one workspace (a bot token). `app-oauth`: the same app in OAuth mode,
 * as deployed for many workspaces: Bolt authorizes every request from the workspace's sealed
 * installation in Redis, and challenge names are sealed at rest. `baseline`: bare Bolt opening a
 * one-block modal. `bolt-setup-modal`: the same bare Bolt opening the app's real setup modal,
 * which tells the cost of the form from the cost of the app's code.
 */
export type TargetKind = 'app' | 'app-oauth' | 'baseline' | 'bolt-setup-modal';

/** Everything a target needs to start, passed as JSON in its first argument. */
export interface TargetConfig {
  readonly kind: TargetKind;
  readonly redisUrl: string;
  /** Every key the app writes carries it, so the benchmark can measure and delete them. */
  readonly keyPrefix: string;
  readonly s3Endpoint: string;
  readonly slackApiUrl: string;
  readonly logLevel: string;
  /** Serve the loader API with these bearer tokens (the app only). */
  readonly loaderApiTokens?: readonly string[];
}

export type TargetRequest =
  | { readonly id: number; readonly op: 'usage' }
  | { readonly id: number; readonly op: 'drain'; readonly timeoutMs: number }
  | { readonly id: number; readonly op: 'stop' };

/** CPU time the target has used so far, in microseconds, and the checks still running after ack. */
export interface TargetUsage {
  readonly cpuMicros: number;
  readonly running: number;
  /** Event-loop delay since the previous answer, in milliseconds: how long callbacks waited. */
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}

export type TargetMessage =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'failed'; readonly message: string }
  | ({ readonly type: 'reply'; readonly id: number; readonly drained?: boolean } & TargetUsage);

// The credentials of the benchmark's own Slack stand-in and local S3: never real ones.
export const SIGNING_SECRET = 'bench-signing-secret-0123456789';
export const BOT_TOKEN = 'xoxb-bench-bot-token-0123456789';
export const PRINCIPAL_ARN = 'arn:aws:iam::123456789012:role/s3-destination-loader';
export const BOT_ID = 'BBOT';
export const BOT_USER_ID = 'UBOT';
/** OAuth mode: the installed workspace's bot token (not one the stand-in issued, so it accepts it). */
export const OAUTH_BOT_TOKEN = 'xoxb-bench-installed-workspace-0123456789';
export const OAUTH_STATE_SECRET = 'bench-state-secret-0123456789';
/** STORE_ENCRYPTION_KEY of the OAuth target and of the seeding of its sessions: 32 bytes, base64. */
export const BENCH_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
