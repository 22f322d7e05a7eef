import { AppError, CorruptValueError, StoreUnavailableError } from '../errors';

/**
 * True when `error` is Redis's error reply with this code: `WRONGTYPE` (a key holds another kind
 * of value than the command expects), `BUSYGROUP` (the consumer group exists), `NOSCRIPT` (no
 * script with that SHA1 is cached). The first word of a reply error is its code, part of the
 * protocol rather than prose, so this is the one place that reads an error's text.
 */
export function isReplyError(error: unknown, code: string): boolean {
  return (
    error instanceof Error && error.name === 'ReplyError' && error.message.split(' ', 1)[0] === code
  );
}

/** Maps what ioredis throws to our errors: a wrong-typed key is corrupt, all else is unavailable. */
function storeError(key: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isReplyError(error, 'WRONGTYPE')) return new CorruptValueError(key, error);
  return new StoreUnavailableError(error);
}

/** Runs one command on `key`, its failure mapped to CorruptValueError or StoreUnavailableError. */
export async function storeCommand<T>(key: string, command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    throw storeError(key, error);
  }
}
