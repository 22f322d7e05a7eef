import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { App, ErrorCode, type webApi } from '@slack/bolt';
import type { ExtendedErrorHandler } from '@slack/bolt/dist/App';
import {
  installerOptions,
  notInstalledReporter,
  type OAuthCredentials,
} from './slack/oauth/install';
import { loaderApiRoutes } from './api/routes';
import type { Deps } from './deps';
import {
  noMetrics,
  slackCallFailure,
  type Metrics,
  type SlackCallFailure,
} from './metrics/metrics';
import { toSlackLogger } from './log/logger';
import { requestIdMiddleware } from './slack/context';
import { storeUnavailableMiddleware } from './slack/oauth/store-unavailable';
import { createHttpReceiver } from './slack/http-receiver';
import { register as registerActions } from './slack/listeners/actions';
import { register as registerCommands } from './slack/listeners/commands';
import { register as registerEvents } from './slack/listeners/events';
import { register as registerFunctions } from './slack/listeners/functions';
import { register as registerHome } from './slack/home/listeners';
import { register as registerViews } from './slack/listeners/views';

/** How this process talks to Slack. An app token selects Socket Mode; otherwise HTTP. */
export interface SlackConnection {
  /** One workspace: its bot token. Unset with `oauth`: each workspace's comes from its installation. */
  readonly botToken?: string;
  /** Many workspaces: the app's OAuth credentials; needs `deps.oauth`. */
  readonly oauth?: OAuthCredentials;
  readonly signingSecret?: string;
  readonly appToken?: string;
  /** Web API base; Slack's own when unset. */
  readonly apiUrl?: string;
  /**
   * The bot's ids from `identifyBot`. Bolt would otherwise call `auth.test` at construction and
   * keep a failed answer for the life of the process.
   */
  readonly botId?: string;
  readonly botUserId?: string;
  /** Socket Mode: the port of the HTTP server for the loader API (HTTP mode uses Slack's port). */
  readonly httpPort?: number;
}

/** How every Web API client of the app is built, the app's own and each workspace's. */
export function slackClientOptions(apiUrl: string | undefined, metrics: Metrics = noMetrics) {
  return {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    fetch: timedFetch(metrics),
    // A trigger_id lives 3 seconds: a slow retry is worth less than a clear failure.
    retryConfig: { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 500 },
    timeout: 5000,
  };
}

/** The Web API client's requests, each timed by its method (the last part of its URL). */
function timedFetch(metrics: Metrics): webApi.FetchFunction {
  return async (url, init) => {
    const started = performance.now();
    const timed = (failure?: SlackCallFailure) => {
      const method = String(url).split('?')[0].split('/').pop() ?? 'other';
      metrics.slackCall(method, (performance.now() - started) / 1000, failure);
    };
    try {
      const response = await fetch(url, init as RequestInit);
      timed(slackCallFailure(response.status));
      return response;
    } catch (error) {
      timed('unavailable');
      throw error;
    }
  };
}

/**
 * `GET /healthz`: 200 when the store answers and the encryption key was checked against it, 503
 * when the store does not answer or the key is not checked yet (or was refused).
 */
function healthRoute(deps: Deps) {
  return {
    path: '/healthz',
    method: ['GET'],
    handler: (_req: IncomingMessage, res: ServerResponse) => {
      const { health } = deps.stores;
      health
        .ping()
        .catch(() => false)
        .then((up: boolean) => {
          const status = health.kind === 'memory' ? 'memory' : up ? 'ok' : 'down';
          const keyChecked = deps.keyCheck?.passed ?? true;
          res.writeHead(up && keyChecked ? 200 : 503, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              redis: status,
              ...(keyChecked ? {} : { encryptionKey: 'unchecked' }),
            }),
          );
        });
    },
  };
}

/**
 * The Bolt app with every listener registered. HTTP mode serves `/slack/events` and `/healthz`;
 * with loader API tokens, both modes serve the loader API (Socket Mode on `httpPort`).
 */
export function createApp(deps: Deps, connection: SlackConnection): App {
  const socketMode = Boolean(connection.appToken);
  const logger = toSlackLogger(deps.logger);
  const apiTokens = deps.settings.loaderApiTokens ?? [];
  const apiRoutes = apiTokens.length > 0 ? loaderApiRoutes(deps, apiTokens) : [];
  const clientOptions = slackClientOptions(connection.apiUrl, deps.metrics);
  const installer = connection.oauth
    ? installerOptions(deps, connection.oauth, clientOptions.slackApiUrl)
    : undefined;
  const app = new App({
    ...(installer ? {} : { token: connection.botToken }),
    ...(socketMode
      ? {
          socketMode: true,
          appToken: connection.appToken,
          ...installer,
          installerOptions: {
            ...installer?.installerOptions,
            // The Socket Mode client opens its connection with a Web API client of its own.
            clientOptions: { slackApiUrl: clientOptions.slackApiUrl },
            // Bolt opens an HTTP server on this port for custom routes and the install pages.
            port: connection.httpPort,
          },
          // With an HTTP server open anyway (the API, the install pages), it answers /healthz too.
          customRoutes: apiRoutes.length > 0 || installer ? [healthRoute(deps), ...apiRoutes] : [],
        }
      : {
          receiver: createHttpReceiver({
            // Never empty here: the configuration requires SLACK_SIGNING_SECRET in HTTP mode.
            // Bolt's own check is off (the receiver verifies each request itself), so nothing
            // refuses an empty secret when the receiver is built; the receiver's verification
            // would then refuse every request with 401: it fails closed.
            signingSecret: connection.signingSecret ?? '',
            customRoutes: [healthRoute(deps), ...apiRoutes],
            logger,
            ...(installer ? { oauth: installer } : {}),
          }),
        }),
    ...(installer ? {} : { botId: connection.botId, botUserId: connection.botUserId }),
    logger,
    clientOptions,
    // The error handler needs the request's body, to tell which workspace is not installed.
    extendedErrorHandler: true,
    // No listener keeps conversation state; Bolt's store would look every request's channel up
    // (and build an Error with its stack for each one not found).
    convoStore: false,
  });
  app.use(requestIdMiddleware(deps));
  if (installer) app.use(storeUnavailableMiddleware(deps));
  registerCommands(app, deps);
  registerActions(app, deps);
  registerViews(app, deps);
  registerEvents(app, deps);
  registerFunctions(app, deps);
  registerHome(app, deps);
  const notInstalled = notInstalledReporter(deps);
  const onError: ExtendedErrorHandler = async ({ error, body }) => {
    // A workspace without an installation: Bolt acknowledges the request and calls no listener.
    if (error.code === ErrorCode.AuthorizationError) return notInstalled(body);
    deps.logger.error({ err: error }, 'unhandled error in a Slack listener');
  };
  app.error(onError);
  return app;
}
