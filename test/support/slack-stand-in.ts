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

export async function startSlackStandIn(options: SlackStandInOptions = {}): Promise<SlackStandIn> {
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
        if (!token) {
          // As Slack answers a call that carries no token.
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ ok: false, error: 'not_authed' }));
          return;
        }
        const answer =
          answers[method] ??
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
    reset() {
      calls.length = 0;
      counts.clear();
      answers = {};
      responseUrlStatus = 0;
      homeViews.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
