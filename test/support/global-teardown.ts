import type { ChildProcess } from 'node:child_process';

/** Stops the redis-server the global set-up started, if it started one. */
export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { testRedisServer?: ChildProcess }).testRedisServer;
  if (!server || server.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    server.once('exit', () => resolve());
    server.kill('SIGTERM');
  });
}
