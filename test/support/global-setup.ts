import { spawn } from 'node:child_process';
import net from 'node:net';
import { CEPH, decideTests, PROMTOOL } from './system-packages';

/** Whether something accepts TCP connections on host:port within a short time. */
function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Before any test file: whether the files that need Ceph or promtool can run (see `decideTests`), and a Redis
 * that answers at REDIS_URL. A newcomer's first `npm test` should pass without knowing that, so
 * when none answers on this machine's loopback, a throw-away `redis-server` (nothing saved to
 * disk) is started there and stopped after the run.
 */
export default async function globalSetup(): Promise<void> {
  for (const needed of [CEPH, PROMTOOL]) decideTests(needed, (text) => process.stdout.write(text));
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const host = url.hostname;
  const port = Number(url.port || 6379);
  if (await answers(host, port)) return;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    throw new Error(`No Redis answers at ${url.host}: start one there or set REDIS_URL`);
  }
  process.stdout.write(
    `\nNo Redis answers at ${host}:${port}: starting a throw-away redis-server there for this run.\n`,
  );
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const failed = new Promise<never>((_, reject) =>
    server.once('error', (error) =>
      reject(
        new Error('redis-server could not be started: install Redis or set REDIS_URL', {
          cause: error,
        }),
      ),
    ),
  );
  const deadline = Date.now() + 10_000;
  while (!(await Promise.race([answers('127.0.0.1', port), failed]))) {
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  (globalThis as { testRedisServer?: typeof server }).testRedisServer = server;
}
