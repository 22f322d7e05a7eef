import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BOT_TOKEN, PRINCIPAL_ARN, SIGNING_SECRET } from './test-app';

const DIST = join(__dirname, '..', '..', 'dist');

/** The compiled bot (`npm run build`) running as its own process, as `npm start` runs it. */
export interface BotProcess {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the first stdout line matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or the signal name). */
  exited(): Promise<number | string>;
}

/** Every process `spawnBot` started and `stopBots` has not stopped yet. */
const spawned = new Set<BotProcess>();

/** A bot's environment: absent (or `undefined`) names stay unset, as in a bare shell. */
export type BotEnvironment = Record<string, string | undefined>;

/**
 * What every spawned bot in the tests shares: one workspace's bot token and signing secret, the
 * test principal, the local S3 server's credentials (never real AWS), any free port and no
 * monitor sweeps. Each test adds its Slack stand-in, STS stand-in, Redis and whatever it is
 * about; an override of `undefined` leaves a variable unset (say, the signing secret in Socket
 * Mode).
 */
export function botEnvironment(overrides: BotEnvironment = {}): BotEnvironment {
  return {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    POLICY_PRINCIPAL_ARN: PRINCIPAL_ARN,
    PORT: '0',
    LOG_LEVEL: 'info',
    MONITOR_INTERVAL_SECONDS: '0',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    ...overrides,
  };
}

/** A bot in HTTP mode that has said it listens, with the address it listens on. */
export interface StartedBot extends BotProcess {
  /** `http://127.0.0.1:<port>`, the port the bot announced (PORT may be 0). */
  readonly baseUrl: string;
}

const httpModeLine = /"mode":"http"/;

/** Spawns the bot and resolves once it listens over HTTP; `stopBots` ends it. */
export async function startBotProcess(
  env: BotEnvironment,
  options: { entry?: 'index.js' | 'tunnel.js'; timeoutMs?: number } = {},
): Promise<StartedBot> {
  const bot = spawnBot(env, options.entry);
  const line = await bot.waitForLine(httpModeLine, options.timeoutMs);
  const { port } = JSON.parse(line) as { port: number };
  return { ...bot, baseUrl: `http://127.0.0.1:${port}` };
}

/** Kills every bot still running (SIGKILL: no clean shutdown to wait for) and awaits its exit. */
export async function stopBots(): Promise<void> {
  const bots = [...spawned];
  spawned.clear();
  await Promise.all(
    bots.map(async (bot) => {
      if (bot.child.exitCode === null && bot.child.signalCode === null) bot.child.kill('SIGKILL');
      await bot.exited();
    }),
  );
}

/** `entry` is `index.js` (`npm start`) or `tunnel.js` (`npm run dev:tunnel`). */
export function spawnBot(
  env: Record<string, string | undefined>,
  entry: 'index.js' | 'tunnel.js' = 'index.js',
): BotProcess {
  const script = join(DIST, entry);
  if (!existsSync(script)) throw new Error(`${script} is missing: run npm run build first`);
  const child = spawn(process.execPath, [script], {
    // Only what the test gives, so the developer's own .env or shell never leaks in.
    env: { PATH: process.env.PATH, AWS_EC2_METADATA_DISABLED: 'true', ...env },
    cwd: join(__dirname),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const listeners = new Set<() => void>();
  const collect = (into: string[]) => {
    let partial = '';
    return (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      into.push(...parts.filter(Boolean));
      listeners.forEach((wake) => wake());
    };
  };
  child.stdout?.on('data', collect(stdout));
  child.stderr?.on('data', collect(stderr));
  const exit = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );

  const bot: BotProcess = {
    child,
    stdout,
    stderr,
    waitForLine(pattern, timeoutMs = 15000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = stdout.find((l) => pattern.test(l));
          if (line) {
            done();
            resolve(line);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `no line like ${pattern}; stdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('\n')}`,
            ),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        exit.then(() => check());
        check();
      });
    },
    exited: () => exit,
  };
  spawned.add(bot);
  return bot;
}
