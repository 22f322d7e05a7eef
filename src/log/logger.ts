import { format } from 'node:util';
import pino, { type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import { createRedactor } from './redact';

export type Logger = PinoLogger;

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Literal secrets to scrub besides the built-in patterns (signing secret, tokens). */
  secrets?: readonly (string | undefined)[];
  /** Where lines go; stdout by default. Tests pass a collector. */
  destination?: { write(line: string): unknown };
}

/**
 * A pino logger whose every line is scrubbed of secrets after serialisation, so nothing that reaches
 * it (Bolt's and the Web API client's debug dumps included) can leak a token or a challenge name.
 */
export function createLogger(options: LoggerOptions): Logger {
  const redact = createRedactor(options.secrets);
  const sink = options.destination ?? process.stdout;
  return pino(
    { level: options.level, base: { name: 's3-destination-bot' } },
    { write: (line: string) => sink.write(redact(line)) },
  );
}

const toSlackLevel: Record<string, LogLevel> = {
  trace: LogLevel.DEBUG,
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
  fatal: LogLevel.ERROR,
  silent: LogLevel.ERROR,
};

/** How Bolt warns that it found no installation for a request (App.processEvent). */
const UNAUTHORIZED_EVENT = 'Authorization of incoming event did not succeed';

/** Bolt's Logger interface over pino, so Bolt and the Web API client log through our redaction. */

export function toSlackLogger(logger: Logger): SlackLogger {
  const child = logger.child({ component: 'bolt' });
  return {
    // Bolt says something at debug on every request: formatted only when it will be written.
    debug: (...msgs: unknown[]) => {
      if (child.isLevelEnabled('debug')) child.debug(format(...msgs));
    },
    info: (...msgs: unknown[]) => {
      if (child.isLevelEnabled('info')) child.info(format(...msgs));
    },
    warn: (...msgs: unknown[]) => {
      const text = format(...msgs);
      // Said on every request from a workspace without an installation; the app says it once.
      if (text.startsWith(UNAUTHORIZED_EVENT)) child.debug(text);
      else child.warn(text);
    },
    error: (...msgs: unknown[]) => child.error(format(...msgs)),
    // The level is ours (LOG_LEVEL); Bolt's attempts to change it are ignored on purpose.
    setLevel: () => undefined,
    getLevel: () => toSlackLevel[logger.level] ?? LogLevel.INFO,
    setName: () => undefined,
  };
}
