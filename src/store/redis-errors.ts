import { AppError, CorruptValueError, StoreUnavailableError } from '../errors';

/** Redis answers `WRONGTYPE` when a key holds another kind of value than the command expects. */
function isWrongType(error: unknown): boolean {
  // The first word of a Redis error reply is its error code (part of the protocol, not prose).
  return (
    error instanceof Error && error.name === 'ReplyError' && error.message.startsWith('WRONGTYPE')
  );
}

/** Maps what ioredis throws to our errors: a wrong-typed key is corrupt, all else is unavailable. */
function storeError(key: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isWrongType(error)) return new CorruptValueError(key, error);
  return new StoreUnavailableError(error);
}

export async function run<T>(key: string, command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    throw storeError(key, error);
  }
}
