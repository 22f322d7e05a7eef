import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '@slack/bolt';
import { createApp } from '../../src/app';
import type { AppSettings, Deps } from '../../src/deps';
import { createLogger } from '../../src/log/logger';
import { HomeRefresher, type HomeRefreshOptions } from '../../src/slack/home/refresh';
import { createMemoryStores, createRedisStores, type Stores } from '../../src/store';
import { MemorySessionIndex, type SessionIndex } from '../../src/store/session-index';
import { TaskTracker } from '../../src/tasks';
import { noMetrics } from '../../src/metrics/metrics';
import type { Verifier } from '../../src/verify/verifier-port';
import { DEFAULT_ACTOR, interactionBody, slashCommandBody, type Actor } from './slack-payloads';
import { slackSignatureHeaders } from './slack-signer';
import {
  STAND_IN_CLIENT_ID,
  STAND_IN_CLIENT_SECRET,
  startSlackStandIn,
  type SlackStandIn,
} from './slack-stand-in';
import { createOAuthStores, type BuiltOAuthStores } from '../../src/slack/oauth/oauth-stores';
import { createOAuthStorage } from '../../src/store/installations';
import type { RedisClient } from '../../src/store/redis-client';
import { Keyring } from '../../src/store/secrets';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const BOT_TOKEN = 'xoxb-test-bot-token-0123456789';
export const PRINCIPAL_ARN = 'arn:aws:iam::123456789012:role/s3-destination-loader';

export interface TestAppOptions {
  stores?: Stores;
  /** In memory unless given (pass a Redis one beside Redis stores). */
  sessionIndex?: SessionIndex;
  verifier?: Verifier;
  settings?: Partial<AppSettings>;
  /** Reuse a stand-in (e.g. two app instances talking to one Slack). */
  slack?: SlackStandIn;
  /** How the App Home refreshes are throttled (tests shorten the intervals). */
  homeRefresh?: HomeRefreshOptions;
  /**
   * Many workspaces (OAuth mode): installations and OAuth state in this Redis, sealed with this
   * key (TEST_ENCRYPTION_KEY unless given), and, unless `stores` are given, the stores there too,
   * sealed alike; the stand-in's `oauth` plays Slack's side.
   */
  oauth?: {
    redis: RedisClient;
    encryptionKey?: string;
    refreshBeforeSeconds?: number;
    /** The installations' clock (token expiry); the real one by default. */
    now?: () => Date;
  };
}

export const STATE_SECRET = 'test-state-secret-0123456789';

/** The key OAuth-mode test apps seal their Redis values with, unless a test gives its own. */
export const TEST_ENCRYPTION_KEY = randomBytes(32).toString('base64');

/** The OAuth credentials of the test app, those the stand-in accepts. */
export const OAUTH_CREDENTIALS = {
  clientId: STAND_IN_CLIENT_ID,
  clientSecret: STAND_IN_CLIENT_SECRET,
  stateSecret: STATE_SECRET,
};

/** The real app on a loopback port, with a Slack stand-in and every log line captured. */
export interface TestApp {
  readonly app: App;
  readonly deps: TestDeps;
  readonly slack: SlackStandIn;
  readonly url: string;
  /** `http://127.0.0.1:<port>`: the install pages and custom routes live under it. */
  readonly base: string;
  readonly logs: string[];
  /** POSTs a raw body signed as Slack signs it (or with the given headers instead). */
  post(body: string, contentType?: string, headers?: Record<string, string>): Promise<Response>;
  command(text: string, actor?: Partial<Actor>): Promise<Response>;
  interact(payload: unknown): Promise<Response>;
  stop(): Promise<void>;
}

const NO_VERIFIER: Verifier = {
  verify: () => Promise.reject(new Error('this test app has no verifier')),
  watch: () => Promise.reject(new Error('this test app has no verifier')),
};

export interface TestDepsOptions {
  readonly stores: Stores;
  readonly sessionIndex?: SessionIndex;
  readonly verifier: Verifier;
  /** Receives every log line, scrubbed as in production. */
  readonly logs: string[];
  readonly settings?: Partial<AppSettings>;
  readonly now?: () => Date;
  readonly homeRefresh?: HomeRefreshOptions;
}

/** Deps with the App Home refresher and the OAuth stores as built, for tests to look inside. */
export interface TestDeps extends Deps {
  readonly home?: HomeRefresher;
  readonly oauth?: BuiltOAuthStores;
}

/** Deps as `buildDeps` makes them, over the given stores and verifier, logging at trace. */
export function testDeps(options: TestDepsOptions): TestDeps {
  return {
    logger: createLogger({
      level: 'trace',
      secrets: [BOT_TOKEN, SIGNING_SECRET, STAND_IN_CLIENT_SECRET, STATE_SECRET],
      destination: { write: (line: string) => options.logs.push(line) },
    }),
    stores: options.stores,
    sessionIndex: options.sessionIndex ?? new MemorySessionIndex(3600),
    verifier: options.verifier,
    tasks: new TaskTracker(),
    metrics: noMetrics,
    settings: {
      principals: { aws: PRINCIPAL_ARN },
      identityProven: true,
      adminUserIds: [],
      sessionTtlSeconds: 3600,
      verifyLockTtlMs: 30000,
      ...options.settings,
    },
    now: options.now ?? (() => new Date()),
    home: new HomeRefresher(options.homeRefresh),
  };
}

/** In memory for one workspace; in OAuth mode, in its Redis, sealed with its key. */
function defaultStores(oauth: TestAppOptions['oauth']): Stores {
  if (!oauth) return createMemoryStores(3600);
  const keyring = Keyring.fromKeys(oauth.encryptionKey ?? TEST_ENCRYPTION_KEY);
  return createRedisStores(oauth.redis, 3600, { keyring });
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const slack = options.slack ?? (await startSlackStandIn());
  const logs: string[] = [];
  const plainDeps = testDeps({
    logs,
    stores: options.stores ?? defaultStores(options.oauth),
    sessionIndex: options.sessionIndex,
    verifier: options.verifier ?? NO_VERIFIER,
    settings: options.settings,
    homeRefresh: options.homeRefresh,
  });
  const deps: TestDeps = options.oauth
    ? {
        ...plainDeps,
        oauth: createOAuthStores({
          storage: createOAuthStorage(options.oauth.redis),
          keyring: Keyring.fromKeys(options.oauth.encryptionKey ?? TEST_ENCRYPTION_KEY),
          locks: plainDeps.stores.locks,
          credentials: OAUTH_CREDENTIALS,
          apiUrl: slack.apiUrl,
          logger: plainDeps.logger,
          ...(options.oauth.now ? { now: options.oauth.now } : {}),
          ...(options.oauth.refreshBeforeSeconds !== undefined
            ? { refreshBeforeSeconds: options.oauth.refreshBeforeSeconds }
            : {}),
        }),
      }
    : plainDeps;
  const app = createApp(
    deps,
    options.oauth
      ? { oauth: OAUTH_CREDENTIALS, signingSecret: SIGNING_SECRET, apiUrl: slack.apiUrl }
      : {
          botToken: BOT_TOKEN,
          signingSecret: SIGNING_SECRET,
          apiUrl: slack.apiUrl,
          // The stand-in's auth.test identity, as startBot learns it from Slack before creating the app.
          botId: 'BBOT',
          botUserId: 'UBOT',
        },
  );
  const server = (await app.start(0)) as Server;
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const url = `${base}/slack/events`;

  const post: TestApp['post'] = (
    body,
    contentType = 'application/x-www-form-urlencoded',
    headers,
  ) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        ...(headers ?? slackSignatureHeaders(body, SIGNING_SECRET)),
      },
      body,
    });

  return {
    app,
    deps,
    slack,
    url,
    base,
    logs,
    post,
    command: (text, actor) =>
      post(slashCommandBody(text, { ...DEFAULT_ACTOR, ...actor }, slack.responseUrl())),
    interact: (payload) => post(interactionBody(payload)),
    async stop() {
      await app.stop();
      deps.home?.stop();
      await deps.tasks.drain(5000);
      if (!options.slack) await slack.close();
    },
  };
}
