import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { REDIS_URL } from './redis';

const run = promisify(execFile);
const READY_TIMEOUT_MS = 20_000;

/** Real redis-server processes on loopback, gone with `stop()`. */
export interface RedisTopology {
  /** The REDIS_URL that reaches them: `redis-sentinel://…` or `redis-cluster://…`. */
  readonly url: string;
  stop(): Promise<void>;
}

/** A loopback port nobody listens on now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
  return stdout;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not happen in time`);
    await sleep(100);
  }
}

function startServer(args: string[]): ChildProcess {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  child.on('error', () => undefined);
  return child;
}

async function stopAll(children: ChildProcess[], directory: string): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
  await rm(directory, { recursive: true, force: true });
}

/**
 * A redis-server of its own on a free loopback port, for tests that pause or stop the whole server
 * (CLIENT PAUSE) and must not hold up the others sharing REDIS_URL.
 */
export async function startStandaloneRedis(): Promise<RedisTopology & { readonly port: number }> {
  const directory = await mkdtemp(join(tmpdir(), 's3d-redis-'));
  const port = await freePort();
  const server = startServer([
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    directory,
  ]);
  try {
    await until(`redis-server on ${port}`, async () => (await cli(port, 'ping')).trim() === 'PONG');
  } catch (error) {
    await stopAll([server], directory);
    throw error;
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop: () => stopAll([server], directory) };
}

/** One Sentinel watching the test Redis (REDIS_URL) as primary `name`. */
export async function startSentinel(name = 'testprimary'): Promise<RedisTopology> {
  const primary = new URL(REDIS_URL);
  const directory = await mkdtemp(join(tmpdir(), 'sentinel-'));
  const port = await freePort();
  const configFile = join(directory, 'sentinel.conf');
  await writeFile(
    configFile,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${directory}`,
      `sentinel monitor ${name} ${primary.hostname} ${primary.port || 6379} 1`,
      `sentinel down-after-milliseconds ${name} 60000`,
      '',
    ].join('\n'),
  );
  const child = startServer([configFile, '--sentinel']);
  const stop = () => stopAll([child], directory);
  try {
    await until(
      'the Sentinel knowing its primary',
      async () => (await cli(port, 'SENTINEL', 'get-master-addr-by-name', name)).trim().length > 0,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis-sentinel://127.0.0.1:${port}/${name}`, stop };
}

/** A three-primary Redis Cluster, slots spread over the nodes, no replicas. */
export async function startCluster(): Promise<RedisTopology> {
  const directory = await mkdtemp(join(tmpdir(), 'cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const children = ports.map((port) =>
    startServer([
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      directory,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${port}.conf`,
      '--save',
      '',
      '--appendonly',
      'no',
    ]),
  );
  const stop = () => stopAll(children, directory);
  try {
    for (const port of ports)
      await until(`node ${port} answering`, async () => (await cli(port, 'PING')).includes('PONG'));
    await cli(
      ports[0],
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    );
    for (const port of ports) {
      await until(`node ${port} seeing the cluster ok`, async () =>
        (await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis-cluster://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`, stop };
}
