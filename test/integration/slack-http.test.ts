import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../src/log/logger';
import { webApi } from '@slack/bolt';
import { postToResponseUrl, slackErrorCode } from '../../src/slack/messaging';
import { callWebApi, SlackApiError } from '../../src/slack/web-api';

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
