import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../src/log/logger';
import { webApi } from '@slack/bolt';
import { postToResponseUrl, slackErrorCode } from '../../src/slack/messaging';
import { callWebApi, postChatMessage, SlackApiError } from '../../src/slack/web-api';

const MESSAGE = { text: 'hi', blocks: [] };

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let handle: Handler;
let base: string;

function capture() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'warn', destination: { write: (l) => lines.push(l) } });
  return { logger, messages: () => lines.map((line) => JSON.parse(line).msg as string) };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('postToResponseUrl', () => {
  it('posts the message as JSON and is true when Slack takes it', async () => {
    const received: { method?: string; type?: string; body?: unknown }[] = [];
    handle = (req, res, body) => {
      received.push({
        method: req.method,
        type: req.headers['content-type'],
        body: JSON.parse(body),
      });
      res.end('ok');
    };
    const { logger, messages } = capture();

    const ok = await postToResponseUrl(`${base}/response/1`, MESSAGE, 'ephemeral', logger);

    expect(ok).toBe(true);
    expect(received).toEqual([
      {
        method: 'POST',
        type: 'application/json; charset=utf-8',
        body: { response_type: 'ephemeral', replace_original: false, text: 'hi', blocks: [] },
      },
    ]);
    expect(messages()).toEqual([]);
  });

  it('is false and warns when Slack refuses the message', async () => {
    handle = (_req, res) => res.writeHead(404).end('expired_url');
    const { logger, messages } = capture();

    const ok = await postToResponseUrl(`${base}/response/2`, MESSAGE, 'replace', logger);

    expect(ok).toBe(false);
    expect(messages()).toEqual(['response_url refused the message']);
  });

  it('gives up after 3 seconds when no answer comes', async () => {
    handle = () => undefined;
    const { logger, messages } = capture();
    const started = Date.now();

    const ok = await postToResponseUrl(`${base}/response/3`, MESSAGE, 'ephemeral', logger);

    expect(ok).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect(messages()).toEqual(['response_url could not be reached']);
  });

  it('is false for a URL it cannot post to, without throwing', async () => {
    const { logger, messages } = capture();

    await expect(
      postToResponseUrl('ftp://hooks.example/x', MESSAGE, 'ephemeral', logger),
    ).resolves.toBe(false);
    expect(messages()).toEqual(['response_url could not be reached']);
  });
});

describe('callWebApi', () => {
  const client = () => new webApi.WebClient(undefined, { slackApiUrl: `${base}/api/` });

  it('posts JSON to the method on the Web API base, with the bot token as a bearer', async () => {
    const received: { url?: string; auth?: string; body?: unknown }[] = [];
    handle = (req, res, body) => {
      received.push({ url: req.url, auth: req.headers.authorization, body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    };

    await callWebApi(client(), 'xoxb-1', 'views.open', { trigger_id: 't1' }, 1000);

    expect(received).toEqual([
      { url: '/api/views.open', auth: 'Bearer xoxb-1', body: { trigger_id: 't1' } },
    ]);
  });

  it.each([
    ['Slack says no', 200, '{"ok":false,"error":"expired_trigger_id"}', 'expired_trigger_id'],
    ['the answer is not JSON', 502, '<html>Bad Gateway</html>', 'HTTP 502'],
    ['the answer has no ok', 200, '{}', 'an error'],
  ])('throws a SlackApiError carrying the code when %s', async (_case, status, answer, code) => {
    handle = (_req, res) => res.writeHead(status).end(answer);

    const error = await callWebApi(client(), 'xoxb-1', 'views.open', {}, 1000).catch((e) => e);

    expect(error).toBeInstanceOf(SlackApiError);
    expect(slackErrorCode(error)).toBe(code);
  });

  it('gives up after its timeout', async () => {
    handle = () => undefined;

    await expect(callWebApi(client(), 'xoxb-1', 'views.open', {}, 100)).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });
});

describe('postChatMessage', () => {
  const client = () => new webApi.WebClient('xoxb-2', { slackApiUrl: `${base}/api/` });
  const message = { channel: 'C1', text: 'hi', blocks: [] };
  /** Answers each request in turn with the next of `answers`; keeps when each arrived. */
  function answering(...answers: ((res: ServerResponse) => void)[]) {
    const arrived: number[] = [];
    handle = (_req, res) => {
      arrived.push(Date.now());
      (answers[arrived.length - 1] ?? answers[answers.length - 1])(res);
    };
    return arrived;
  }
  const ok = (res: ServerResponse) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"ts":"1.2"}');

  it('posts JSON with the client’s token to chat.postMessage, each try timed', async () => {
    const received: { url?: string; auth?: string; body?: unknown }[] = [];
    handle = (req, res, body) => {
      received.push({ url: req.url, auth: req.headers.authorization, body: JSON.parse(body) });
      ok(res);
    };
    const timed: string[] = [];

    const reply = await postChatMessage(client(), message, (method) => timed.push(method));

    expect(reply).toMatchObject({ ok: true, ts: '1.2' });
    expect(received).toEqual([
      { url: '/api/chat.postMessage', auth: 'Bearer xoxb-2', body: message },
    ]);
    expect(timed).toEqual(['chat.postMessage']);
  });

  it.each([
    ['an HTTP error', (res: ServerResponse) => res.writeHead(500).end('oops')],
    ['a dropped connection', (res: ServerResponse) => res.socket?.destroy()],
  ])('tries once more after %s, as the app’s Web API clients do', async (_case, fail) => {
    const arrived = answering(fail, ok);
    const failures: (string | undefined)[] = [];

    await expect(
      postChatMessage(client(), message, (_method, _seconds, failure) => failures.push(failure)),
    ).resolves.toMatchObject({ ok: true });

    expect(arrived).toHaveLength(2);
    expect(failures).toEqual(['unavailable', undefined]);
  });

  it('waits out Slack’s Retry-After before trying a rate-limited post again', async () => {
    const arrived = answering((res) => res.writeHead(429, { 'retry-after': '1' }).end(), ok);
    const failures: (string | undefined)[] = [];

    await expect(
      postChatMessage(client(), message, (_method, _seconds, failure) => failures.push(failure)),
    ).resolves.toMatchObject({ ok: true });

    expect(arrived).toHaveLength(2);
    expect(arrived[1] - arrived[0]).toBeGreaterThanOrEqual(950);
    expect(failures).toEqual(['rate_limited', undefined]);
  });

  it.each([
    [
      'Slack refuses it',
      [(res: ServerResponse) => res.end('{"ok":false,"error":"not_in_channel"}')],
      'not_in_channel',
      1,
    ],
    [
      'a 429 says no Retry-After',
      [(res: ServerResponse) => res.writeHead(429).end()],
      'ratelimited',
      1,
    ],
    ['it fails twice', [(res: ServerResponse) => res.writeHead(503).end()], 'HTTP 503', 2],
  ])('throws a SlackApiError with the code when %s', async (_case, answers, code, tries) => {
    const arrived = answering(...answers);

    const error = await postChatMessage(client(), message).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SlackApiError);
    expect(slackErrorCode(error)).toBe(code);
    expect(arrived).toHaveLength(tries);
  });
});
