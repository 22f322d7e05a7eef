import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackPosts {
  /** Web API base for the app. */
  readonly apiUrl: string;
  /** A response_url it takes. */
  responseUrl(id: string): string;
  close(): Promise<void>;
}

/**
 * The channel a chat.postMessage names, read without parsing the blocks: from its JSON, or from
 * its form as Bolt's Web API client sends it.
 */
const CHANNEL = /"channel":"([^"\\]+)"|(?:^|&)channel=([^&]+)/;

/**
 * The lightest Slack for timing what reaches it: every Web API call and response_url post is
 * answered `ok`, and each chat.postMessage's channel is told to `onPost` as soon as the request
 * has arrived. Nothing is recorded or parsed beyond that, so that on a machine of two cores the
 * benchmark's own side takes as little as it can from the app it times.
 */
export async function startSlackPosts(onPost: (channel: string) => void): Promise<SlackPosts> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = request.url ?? '';
      if (url.startsWith('/response/')) {
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        return;
      }
      const named = url.startsWith('/api/chat.postMessage')
        ? CHANNEL.exec(Buffer.concat(chunks).toString('utf8'))
        : null;
      const channel = named ? decodeURIComponent(named[1] ?? named[2] ?? '') : undefined;
      if (channel !== undefined) onPost(channel);
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          JSON.stringify({ ok: true, ...(channel ? { channel, ts: '1700000000.000100' } : {}) }),
        );
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    apiUrl: `${base}/api/`,
    responseUrl: (id) => `${base}/response/${id}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
