import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { TargetConfig, TargetMessage, TargetRequest, TargetUsage } from './target-protocol';

const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 15_000;

type Op = TargetRequest['op'];

/** A target (the app or the baseline) running in its own process, and how to talk to it. */
export interface TargetProcess {
  readonly kind: TargetConfig['kind'];
  /** `http://127.0.0.1:<port>/slack/events`. */
  readonly url: string;
  usage(): Promise<TargetUsage>;
  /** Waits for the work that runs after the acks (checks) to finish; false on timeout. */
  drain(timeoutMs: number): Promise<TargetUsage & { drained: boolean }>;
  /** Log lines at warn or above since the last call, counted by message. */
  takeProblems(): Map<string, number>;
  stop(): Promise<void>;
  /** Ends the process at once, for an interrupted benchmark; resolves once it has exited. */
  kill(): Promise<void>;
}

export interface TargetProcessOptions {
  /** Extra node flags for the target, e.g. `--cpu-prof`. */
  readonly execArgv?: readonly string[];
}

/** Starts `target.js` with `config` and resolves once it listens. */
export async function startTarget(
  config: TargetConfig,
  options: TargetProcessOptions = {},
): Promise<TargetProcess> {
  const child = fork(join(__dirname, 'target.js'), [JSON.stringify(config)], {
    execArgv: [...(options.execArgv ?? [])],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const problems = new Map<string, number>();
  const note = (line: string) => {
    const problem = describeProblem(line);
    if (problem) problems.set(problem, (problems.get(problem) ?? 0) + 1);
  };
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', lines(note));
  const noteStderr = lines(note);
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
    noteStderr(chunk);
  });

  type Reply = TargetMessage & { type: 'reply' };
  const pending = new Map<
    number,
    { resolve: (reply: Reply) => void; reject: (error: Error) => void }
  >();
  child.on('message', (message: TargetMessage) => {
    if (message.type === 'reply') {
      pending.get(message.id)?.resolve(message);
      pending.delete(message.id);
    }
  });
  // A target that dies mid-run fails the benchmark instead of leaving it waiting for an answer.
  child.on('exit', (code, signal) => {
    for (const { reject } of pending.values()) {
      reject(new Error(`the ${config.kind} target exited (${code ?? signal})\n${stderr}`));
    }
    pending.clear();
  });
  let nextId = 0;
  const ask = (op: Op, extra: { timeoutMs?: number } = {}) =>
    new Promise<Reply>((resolve, reject) => {
      if (!child.connected) return reject(new Error(`the ${config.kind} target is gone`));
      const id = ++nextId;
      pending.set(id, { resolve, reject });
      child.send({ id, op, ...extra } as TargetRequest);
    });

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail('no answer in time'), START_TIMEOUT_MS);
    const onExit = (code: number | null) => fail(`it exited with ${code}`);
    const onMessage = (message: TargetMessage) => {
      if (message.type === 'listening') {
        settle();
        resolve(message.port);
      } else if (message.type === 'failed') fail(message.message);
    };
    function settle() {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('message', onMessage);
    }
    function fail(reason: string) {
      settle();
      child.kill('SIGKILL');
      reject(new Error(`the ${config.kind} target did not start: ${reason}\n${stderr}`));
    }
    child.once('exit', onExit);
    child.on('message', onMessage);
  });

  return {
    kind: config.kind,
    url: `http://127.0.0.1:${port}/slack/events`,
    usage: async () => usageOf(await ask('usage')),
    drain: async (timeoutMs) => {
      const reply = await ask('drain', { timeoutMs });
      return { ...usageOf(reply), drained: reply.drained ?? false };
    },
    takeProblems() {
      const taken = new Map(problems);
      problems.clear();
      return taken;
    },
    stop: () => stopChild(child, () => ask('stop')),
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

function usageOf(reply: TargetUsage): TargetUsage {
  const { cpuMicros, running, loopDelayP99Ms, loopDelayMaxMs } = reply;
  return { cpuMicros, running, loopDelayP99Ms, loopDelayMaxMs };
}

/** Splits a stream into lines, keeping a partial line for the next chunk. */
function lines(each: (line: string) => void): (chunk: string) => void {
  let partial = '';
  return (chunk) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    parts.filter(Boolean).forEach(each);
  };
}

const PINO_WARN = 40;

/** A pino line at warn or above becomes its message; Bolt's console lines count as they are. */
function describeProblem(line: string): string | undefined {
  try {
    const entry = JSON.parse(line) as { level?: number; msg?: string };
    return (entry.level ?? 0) >= PINO_WARN ? (entry.msg ?? line) : undefined;
  } catch {
    return line.slice(0, 120);
  }
}

async function stopChild(child: ChildProcess, askToStop: () => Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await askToStop().catch(() => child.kill('SIGKILL'));
  await exited;
  clearTimeout(timer);
}
