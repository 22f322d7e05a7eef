import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

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

  return {
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
}
