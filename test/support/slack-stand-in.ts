import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One call that reached the stand-in: a Web API method or a response_url post. */
export interface RecordedCall {
  method: string;
  body: Record<string, unknown>;
  /** The token a Web API call carried (`Authorization: Bearer …` or a `token` field). */
  token?: string;
}

type Answer =
  Record<string, unknown> | ((body: Record<string, unknown>) => Record<string, unknown>);

/**
 * The Slack Web API and response_url endpoints over real HTTP on loopback. Records every call and
 * answers `ok: true` with plausible fields unless a method is told to answer something else.
 */
export interface SlackStandIn {
  /** Web API base for `clientOptions.slackApiUrl` / SLACK_API_URL. */
  readonly apiUrl: string;
  /** A fresh response_url the stand-in accepts; posts to it are recorded as method `response_url`. */
  responseUrl(id?: string): string;
  readonly calls: RecordedCall[];
  callsTo(method: string): RecordedCall[];
  /** How many calls `method` has had, recorded or not. */
  count(method: string): number;
  /** Resolves with the n-th (1-based) call to `method`, waiting for it to arrive. */
  waitForCall(method: string, count?: number, timeoutMs?: number): Promise<RecordedCall>;
  answer(method: string, response: Answer): void;
  /** Makes the response_url endpoint fail with this HTTP status (0 = back to normal). */
  failResponseUrl(status: number): void;
  /**
   * The App Home view Slack shows `userId` now: the last `views.publish` it took. Like Slack, it
   * refuses (`hash_conflict`) a publish whose `hash` is not that view's.
   */
  homeView(userId: string): (Record<string, unknown> & { hash: string }) | undefined;
  /** Slack's side of OAuth: the codes it hands out, the tokens it issues and refreshes. */
  readonly oauth: OAuthStandIn;
  /**
   * The people `users.info` describes. Someone not set here is a plain member of the workspace the
   * token was issued to (or T0TEST). `answer('users.info', …)` still overrides every answer.
   */
  setUser(userId: string, role: StandInUser): void;
  reset(): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  if (raw === '') return {};
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    return JSON.parse(raw) as Record<string, unknown>;
  }
  const body: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    // The Web API client form-encodes objects as JSON strings.
    try {
      body[key] = /^[[{]/.test(value) ? JSON.parse(value) : value;
    } catch {
      body[key] = value;
    }
  }
  return body;
}

/** A workspace (or an organization, for an org-wide install) that installs the app. */
export interface StandInWorkspace {
  readonly teamId: string;
  readonly teamName?: string;
  /** An org-wide install: the organization (teamId is then the workspace the installer was in). */
  readonly enterpriseId?: string;
  readonly isEnterpriseInstall?: boolean;
  /** Who installed: the `authed_user`. */
  readonly installerId?: string;
  /** Token rotation: bot tokens expire this many seconds after they are issued. */
  readonly expiresInSeconds?: number;
}

/** A person's place in their workspace (and organization), as `users.info` tells it. */
export interface StandInUser {
  readonly teamId?: string;
  readonly isOwner?: boolean;
  readonly isAdmin?: boolean;
  readonly isPrimaryOwner?: boolean;
  /** Enterprise Grid: the organization the person belongs to, and their role in it. */
  readonly enterprise?: {
    readonly id: string;
    readonly isAdmin?: boolean;
    readonly isOwner?: boolean;
    /** The organization's workspaces the person is in. */
    readonly teams?: readonly string[];
  };
}

/** The app's OAuth credentials the stand-in accepts. */
export const STAND_IN_CLIENT_ID = '1111.2222';
export const STAND_IN_CLIENT_SECRET = 'stand-in-client-secret';

export interface OAuthStandIn {
  /** A code as Slack passes it to the redirect URL once the person allowed the app; good once. */
  issueCode(workspace: StandInWorkspace): string;
  /** Bot tokens issued to a team, oldest first. */
  tokensOf(teamId: string): string[];
  /** The team a bot token was issued to, if the stand-in issued it. */
  teamOf(token: string): string | undefined;
  /** Refresh grants accepted (a used refresh token is refused, as Slack does). */
  readonly refreshes: number;
  /** Refresh grants refused. */
  readonly refusedRefreshes: number;
  /** Every token of the team stops working (`token_revoked`), as after an uninstall. */
  revoke(teamId: string): void;
  /** Moves the stand-in's clock, so that issued tokens expire. */
  advance(seconds: number): void;
  /** Forgets every code and token and the counts (between tests; `reset` keeps them). */
  clear(): void;
}

export interface SlackStandInOptions {
  /**
   * false: keep no calls and skip parsing their bodies (a load test makes thousands); only `count`
   * then says what arrived, and answers computed from a body see an empty one. Default true.
   */
  readonly record?: boolean;
}

function drainBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    req
      .on('end', () => resolve({}))
      .on('error', reject)
      .resume();
  });
}

const defaultAnswers: Record<string, Answer> = {
  'auth.test': { user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T0TEST', user: 'bot' },
  'views.open': (body) => ({ view: { ...(body.view as object), id: 'V0001', hash: 'hash-1' } }),
  'views.update': (body) => ({
    view: { ...(body.view as object), id: body.view_id, hash: 'hash-2' },
  }),
  'chat.postMessage': (body) => ({ channel: body.channel, ts: '1700000000.000100' }),
  'chat.postEphemeral': { message_ts: '1700000000.000200' },
};

interface IssuedToken {
  readonly workspace: StandInWorkspace;
  readonly expiresAt?: number;
  revoked: boolean;
}

const BOT_SCOPE = 'commands,chat:write,chat:write.public,users:read';

/** Slack's OAuth as the stand-in plays it: codes, tokens, refresh tokens, one use each. */
function createOAuth() {
  let clock = 0;
  let serial = 0;
  const codes = new Map<string, StandInWorkspace>();
  const tokens = new Map<string, IssuedToken>();
  const refreshTokens = new Map<string, StandInWorkspace>();
  const counters = { refreshes: 0, refusedRefreshes: 0 };
  const now = () => Math.floor(Date.now() / 1000) + clock;

  const issue = (workspace: StandInWorkspace) => {
    serial += 1;
    const rotating = workspace.expiresInSeconds !== undefined;
    const token = `${rotating ? 'xoxe.' : ''}xoxb-${workspace.teamId}-${serial}`;
    tokens.set(token, {
      workspace,
      revoked: false,
      ...(rotating ? { expiresAt: now() + (workspace.expiresInSeconds ?? 0) } : {}),
    });
    if (!rotating) return { access_token: token };
    const refreshToken = `xoxe-1-${workspace.teamId}-${serial}`;
    refreshTokens.set(refreshToken, workspace);
    return {
      access_token: token,
      refresh_token: refreshToken,
      expires_in: workspace.expiresInSeconds,
    };
  };

  const ids = (workspace: StandInWorkspace) => ({
    bot_user_id: `UBOT${workspace.teamId}`,
    bot_id: `BBOT${workspace.teamId}`,
  });

  /** `oauth.v2.access`: a code, or a refresh grant. */
  const access = (body: Record<string, unknown>): Record<string, unknown> => {
    if (body.client_id !== STAND_IN_CLIENT_ID) return { ok: false, error: 'invalid_client_id' };
    if (body.client_secret !== STAND_IN_CLIENT_SECRET) {
      return { ok: false, error: 'bad_client_secret' };
    }
    if (body.grant_type === 'refresh_token') {
      const workspace = refreshTokens.get(String(body.refresh_token));
      if (!workspace) {
        counters.refusedRefreshes += 1;
        return { ok: false, error: 'invalid_refresh_token' };
      }
      refreshTokens.delete(String(body.refresh_token));
      counters.refreshes += 1;
      return { ok: true, token_type: 'bot', ...issue(workspace) };
    }
    const workspace = codes.get(String(body.code));
    if (!workspace) return { ok: false, error: 'invalid_code' };
    codes.delete(String(body.code));
    return {
      ok: true,
      app_id: 'A0S3DEST',
      authed_user: { id: workspace.installerId ?? 'UINSTALLER' },
      scope: BOT_SCOPE,
      token_type: 'bot',
      ...issue(workspace),
      bot_user_id: ids(workspace).bot_user_id,
      team: workspace.isEnterpriseInstall
        ? null
        : { id: workspace.teamId, name: workspace.teamName ?? workspace.teamId },
      enterprise: workspace.enterpriseId ? { id: workspace.enterpriseId, name: 'Org' } : null,
      is_enterprise_install: workspace.isEnterpriseInstall ?? false,
    };
  };

  /** Whether a call carrying `token` is refused: undefined when the token is fine or not ours. */
  const refusal = (token: string): string | undefined => {
    const issued = tokens.get(token);
    if (!issued) return /^(xoxe\.)?xoxb-T/.test(token) ? 'invalid_auth' : undefined;
    if (issued.revoked) return 'token_revoked';
    if (issued.expiresAt !== undefined && issued.expiresAt <= now()) return 'token_expired';
    return undefined;
  };

  const authTest = (token: string): Record<string, unknown> | undefined => {
    const issued = tokens.get(token);
    if (!issued) return undefined;
    const { workspace } = issued;
    return {
      team_id: workspace.teamId,
      team: workspace.teamName ?? workspace.teamId,
      user_id: ids(workspace).bot_user_id,
      bot_id: ids(workspace).bot_id,
      user: 's3-destination',
      url: `https://${workspace.teamId.toLowerCase()}.slack.com/`,
      ...(workspace.enterpriseId ? { enterprise_id: workspace.enterpriseId } : {}),
    };
  };

  const api: OAuthStandIn = {
    issueCode(workspace) {
      serial += 1;
      const code = `code-${workspace.teamId}-${serial}`;
      codes.set(code, workspace);
      return code;
    },
    tokensOf: (teamId) =>
      [...tokens.entries()]
        .filter(([, t]) => t.workspace.teamId === teamId)
        .map(([token]) => token),
    teamOf: (token) => tokens.get(token)?.workspace.teamId,
    get refreshes() {
      return counters.refreshes;
    },
    get refusedRefreshes() {
      return counters.refusedRefreshes;
    },
    revoke(teamId) {
      for (const issued of tokens.values()) {
        if (issued.workspace.teamId === teamId) issued.revoked = true;
      }
    },
    advance(seconds) {
      clock += seconds;
    },
    clear() {
      codes.clear();
      tokens.clear();
      refreshTokens.clear();
      counters.refreshes = 0;
      counters.refusedRefreshes = 0;
      clock = 0;
    },
  };
  return { api, access, refusal, authTest };
}

export async function startSlackStandIn(options: SlackStandInOptions = {}): Promise<SlackStandIn> {
  const oauth = createOAuth();
  const record = options.record ?? true;
  const calls: RecordedCall[] = [];
  const counts = new Map<string, number>();
  const waiters = new Set<() => void>();
  const arrived = (call: RecordedCall) => {
    counts.set(call.method, (counts.get(call.method) ?? 0) + 1);
    if (!record) return;
    calls.push(call);
    waiters.forEach((wake) => wake());
  };
  let answers: Record<string, Answer> = {};
  const users = new Map<string, StandInUser>();
  const usersInfo = (body: Record<string, unknown>, token: string): Record<string, unknown> => {
    const id = String(body.user);
    const role = users.get(id) ?? {};
    return {
      user: {
        id,
        team_id: role.teamId ?? oauth.api.teamOf(token) ?? 'T0TEST',
        name: id.toLowerCase(),
        deleted: false,
        is_owner: role.isOwner ?? false,
        is_admin: role.isAdmin ?? false,
        is_primary_owner: role.isPrimaryOwner ?? false,
        ...(role.enterprise
          ? {
              enterprise_user: {
                id,
                enterprise_id: role.enterprise.id,
                enterprise_name: 'Org',
                is_admin: role.enterprise.isAdmin ?? false,
                is_owner: role.enterprise.isOwner ?? false,
                teams: [...(role.enterprise.teams ?? [])],
              },
            }
          : {}),
      },
    };
  };
  let responseUrlStatus = 0;
  const homeViews = new Map<string, Record<string, unknown> & { hash: string }>();
  let published = 0;
  const publishHome: Answer = (body) => {
    const userId = String(body.user_id);
    const current = homeViews.get(userId);
    if (typeof body.hash === 'string' && body.hash !== current?.hash) {
      return { ok: false, error: 'hash_conflict' };
    }
    published += 1;
    const view = { ...(body.view as object), id: `VHOME${userId}`, hash: `home-${published}` };
    homeViews.set(userId, view);
    return { view };
  };

  const server: Server = createServer((req, res) => {
    (record ? readBody(req) : drainBody(req))
      .then((body) => {
        const url = req.url ?? '';
        if (url.startsWith('/response/')) {
          arrived({ method: 'response_url', body: { ...body, url } });
          if (responseUrlStatus) {
            res.writeHead(responseUrlStatus, { 'content-type': 'text/plain' }).end('error');
          } else {
            res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
          }
          return;
        }
        const method = url.replace(/^\/api\//, '').split('?')[0];
        const token =
          /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ??
          (typeof body.token === 'string' ? body.token : undefined);
        arrived({ method, body, token });
        if (method === 'oauth.v2.access') {
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify(oauth.access(body)));
          return;
        }
        const refused = token ? oauth.refusal(token) : undefined;
        if (refused) {
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ ok: false, error: refused }));
          return;
        }
        const ownAuthTest = method === 'auth.test' && token ? oauth.authTest(token) : undefined;
        if (ownAuthTest) {
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ ok: true, ...ownAuthTest }));
          return;
        }
        if (!token) {
          // As Slack answers a call that carries no token.
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ ok: false, error: 'not_authed' }));
          return;
        }
        const answer =
          answers[method] ??
          (method === 'users.info'
            ? (body: Record<string, unknown>) => usersInfo(body, token)
            : undefined) ??
          defaultAnswers[method] ??
          (method === 'views.publish' ? publishHome : {});
        const payload = typeof answer === 'function' ? answer(body) : answer;
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ok: true, ...payload }));
      })
      .catch(() => res.writeHead(400).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  let nextResponseId = 0;

  const callsTo = (method: string) => calls.filter((call) => call.method === method);

  return {
    apiUrl: `${base}/api/`,
    responseUrl: (id) => `${base}/response/${id ?? ++nextResponseId}`,
    calls,
    callsTo,
    count: (method) => counts.get(method) ?? 0,
    waitForCall(method, count = 1, timeoutMs = 10000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = callsTo(method);
          if (found.length >= count) {
            cleanup();
            resolve(found[count - 1]);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `no call #${count} to ${method}; saw ${calls.map((c) => c.method).join(', ')}`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    answer(method, response) {
      answers[method] = response;
    },
    failResponseUrl(status) {
      responseUrlStatus = status;
    },
    homeView: (userId) => homeViews.get(userId),
    oauth: oauth.api,
    setUser(userId, role) {
      users.set(userId, role);
    },
    reset() {
      calls.length = 0;
      counts.clear();
      answers = {};
      responseUrlStatus = 0;
      homeViews.clear();
      users.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
