import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import type { Logger } from '../log/logger';
import { StoreUnavailableError } from '../errors';
import { bearerChecker } from './auth';
import { decodeCursor, encodeCursor, type PagePosition } from './cursor';
import { buildOpenApiDocument } from './openapi';
import { destinationsAfter } from './pages';
import type { DestinationStore } from '../store/types';
import {
  destinationPageSchema,
  toApiDestination,
  type ApiError,
  type DestinationPage,
} from './schemas';

/** What the loader API reads: the saved destinations, and where its failures are logged. */
export interface LoaderApiDeps {
  readonly logger: Logger;
  readonly stores: { readonly destinations: DestinationStore };
  /** The saved destinations with their challenge names left sealed; `stores`' own when unset. */
  readonly loaderDestinations?: DestinationStore;
}

export const API_PREFIX = '/api/v1';
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;

type Params = Record<string, string>;
type Handler = (req: IncomingMessage, params: Params) => Promise<[number, unknown]>;

const STATUS_OF_ERROR: Readonly<Record<ApiError['error'], number>> = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  internal: 500,
  unavailable: 503,
};

const failure = (error: ApiError['error'], message: string): [number, ApiError] => [
  STATUS_OF_ERROR[error],
  { error, message },
];

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  };
  if (status === 401) headers['www-authenticate'] = 'Bearer';
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
}

/** `limit` as a whole number from 1 to 500 (default 100), or the 400 to answer. */
function parseLimit(raw: string | null): number | ApiError {
  if (raw === null) return DEFAULT_LIMIT;
  const limit = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (limit >= 1 && limit <= MAX_LIMIT) return limit;
  return { error: 'bad_request', message: `limit must be a whole number from 1 to ${MAX_LIMIT}` };
}

/**
 * How long the list of workspaces found for one page serves the next ones. Finding them is a SCAN
 * of the whole keyspace, which set the API's p99 (bench/); a workspace saved meanwhile appears
 * that much later, as it would had it been saved just after the walk. A workspace gone meanwhile
 * simply has nothing to list.
 */
const TEAMS_FRESH_MS = 2000;

/** The store, its `teams()` answered from the last answer while it is fresh. */
export function withRecentTeams(
  store: Pick<DestinationStore, 'teams' | 'list' | 'listAfter'>,
  freshMs: number,
  clock: () => number = Date.now,
): Pick<DestinationStore, 'teams' | 'list' | 'listAfter'> {
  let recent: { teams: Promise<string[]>; at: number } | undefined;
  return {
    list: (teamId) => store.list(teamId),
    ...(store.listAfter
      ? { listAfter: store.listAfter.bind(store) as NonNullable<DestinationStore['listAfter']> }
      : {}),
    teams() {
      const now = clock();
      if (!recent || now - recent.at >= freshMs) {
        const teams = store.teams();
        recent = { teams, at: now };
        // A failed read is not kept: the next page asks again.
        teams.catch(() => {
          if (recent?.teams === teams) recent = undefined;
        });
      }
      return recent.teams;
    },
  };
}

/** `GET /api/v1/destinations?limit=&cursor=`: one page of every workspace's destinations. */
function listDestinations(deps: LoaderApiDeps): Handler {
  const store = withRecentTeams(
    deps.loaderDestinations ?? deps.stores.destinations,
    TEAMS_FRESH_MS,
  );
  return async (req) => {
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const limit = parseLimit(query.get('limit'));
    if (typeof limit !== 'number') return [400, limit];
    const rawCursor = query.get('cursor');
    let after: PagePosition | undefined;
    if (rawCursor !== null && rawCursor !== '') {
      after = decodeCursor(rawCursor);
      if (!after) return failure('bad_request', 'cursor is not one this API gave out');
    }
    const slice = await destinationsAfter(store, after, limit);
    const last = slice.destinations.at(-1);
    const page: DestinationPage = {
      destinations: slice.destinations.map(toApiDestination),
      next_cursor:
        slice.more && last
          ? encodeCursor({ teamId: last.teamId, bucket: last.settings.bucket })
          : null,
    };
    return [200, destinationPageSchema.parse(page)];
  };
}

/** `GET /api/v1/destinations/<team_id>/<bucket>`. */
function getDestination(deps: LoaderApiDeps): Handler {
  return async (_req, params) => {
    const { teamId = '', bucket = '' } = params;
    const notFound = failure('not_found', `No destination ${bucket} in workspace ${teamId}`);
    // A team id that could not be a store key names no destination.
    if (!teamId || /[{}]/.test(teamId) || !bucket) return notFound;
    const saved = await (deps.loaderDestinations ?? deps.stores.destinations).get(teamId, bucket);
    return saved ? [200, toApiDestination(saved)] : notFound;
  };
}

/**
 * The loader API's routes for Bolt's receivers (HTTP and Socket Mode alike): bearer tokens on the
 * destination routes, JSON `{error, message}` for every failure. The OpenAPI document is public.
 */
export function loaderApiRoutes(deps: LoaderApiDeps, tokens: readonly string[]): CustomRoute[] {
  const authorized = bearerChecker(tokens);
  const openApi = buildOpenApiDocument();

  const route = (path: string, handler: Handler, guarded = true): CustomRoute => ({
    path,
    method: ['GET'],
    handler: (req, res) => {
      const params = (req as IncomingMessage & { params?: Params }).params ?? {};
      const answer: Promise<[number, unknown]> =
        guarded && !authorized(req.headers.authorization)
          ? Promise.resolve(failure('unauthorized', 'Send Authorization: Bearer <token>'))
          : handler(req, params);
      answer
        .catch((error: unknown) => {
          if (error instanceof StoreUnavailableError) {
            return failure('unavailable', 'The store does not answer; try again shortly');
          }
          deps.logger.error({ err: error, path }, 'loader API request failed');
          return failure('internal', 'The request failed; see the bot’s log');
        })
        .then(([status, body]) => send(res, status, body));
    },
  });

  return [
    route(`${API_PREFIX}/openapi.json`, async () => [200, openApi], false),
    route(`${API_PREFIX}/destinations`, listDestinations(deps)),
    route(`${API_PREFIX}/destinations/:teamId/:bucket`, getDestination(deps)),
    route(`${API_PREFIX}/*rest`, async () => failure('not_found', 'No such route')),
  ];
}
