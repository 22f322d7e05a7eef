import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { Redis } from 'ioredis';
import { createRedisClient, waitForRedis } from '../../src/store/redis-client';

/** The Redis every integration and e2e test talks to. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestRedis {
  /** A client made by the app's own `createRedisClient`, prefixing every key with `prefix`. */
  readonly client: Redis;
  readonly prefix: string;
  /** The keys this client has written, without the prefix, sorted. */
  keys(): Promise<string[]>;
  /** Deletes every key under the prefix. */
  flush(): Promise<void>;
  /** Flushes, then closes the client. */
  cleanup(): Promise<void>;
}

/** A ready client on REDIS_URL whose keys live under a prefix of their own (one per call). */
export async function testRedis(): Promise<TestRedis> {
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  const client = createRedisClient(REDIS_URL, { keyPrefix: prefix });
  try {
    await waitForRedis(client, 5000);
  } catch (error) {
    client.disconnect();
    throw new Error(`No Redis at ${REDIS_URL}: start one or set REDIS_URL`, { cause: error });
  }

  // keyPrefix is applied to key arguments, not to SCAN's pattern or the keys SCAN returns.
  const prefixedKeys = async (): Promise<string[]> => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      found.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return found;
  };
  const keys = async () => (await prefixedKeys()).map((key) => key.slice(prefix.length)).sort();
  const flush = async () => {
    const found = await keys();
    // DEL's arguments do get the prefix, so pass them without it.
    if (found.length > 0) await client.del(...found);
  };

  return {
    client,
    prefix,
    keys,
    flush,
    async cleanup() {
      try {
        await flush();
      } finally {
        await client.quit().catch(() => client.disconnect());
      }
    },
  };
}

/**
 * The hooks a test file needs for its own prefixed Redis: a client made before the first test and
 * closed after the last (`scope: 'file'`, its keys deleted after every test so each starts empty),
 * or a fresh client for every test (`scope: 'test'`). Call it at the top of a file or `describe`;
 * the returned handle may be used only inside tests and hooks declared after it.
 */
export function useTestRedis(options: { scope?: 'file' | 'test' } = {}): TestRedis {
  let current: TestRedis | undefined;
  const open = async () => {
    current = await testRedis();
  };
  const close = async () => {
    await current?.cleanup();
    current = undefined;
  };
  if (options.scope === 'test') {
    beforeEach(open);
    afterEach(close);
  } else {
    beforeAll(open);
    afterEach(() => current?.flush());
    afterAll(close);
  }
  const active = (): TestRedis => {
    if (!current) throw new Error('useTestRedis: the client exists only inside tests and hooks');
    return current;
  };
  return {
    get client() {
      return active().client;
    },
    get prefix() {
      return active().prefix;
    },
    keys: () => active().keys(),
    flush: () => active().flush(),
    cleanup: () => active().cleanup(),
  };
}

/**
 * A TCP proxy in front of REDIS_URL's server, for faults a real Redis will not produce on cue:
 * `freeze` holds every command (so clients time out), `stop` drops connections and refuses new
 * ones (Redis is down), `start` listens again on the same port (Redis is back).
 */
export interface RedisProxy {
  readonly url: string;
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startRedisProxy(): Promise<RedisProxy> {
  const target = new URL(REDIS_URL);
  const sockets = new Set<net.Socket>();
  const held: { upstream: net.Socket; chunk: Buffer }[] = [];
  let frozen = false;

  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.on('data', (chunk) => {
      if (frozen) held.push({ upstream, chunk });
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });

  await listen(0);
  const { port } = server.address() as net.AddressInfo;

  return {
    url: `redis://127.0.0.1:${port}`,
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const { upstream, chunk } of held.splice(0)) upstream.write(chunk);
    },
    stop,
    start: () => listen(port),
    close: stop,
  };
}
