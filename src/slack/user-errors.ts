import { CorruptValueError, StoreUnavailableError } from '../errors';

/** What to tell a user when something on our side failed; never leaks internals. */
export function describeFailure(error: unknown, whatWasKept: string): string {
  if (error instanceof StoreUnavailableError) {
    return `:warning: The bot's storage is not answering right now, so nothing was changed. ${whatWasKept} Try again in a minute.`;
  }
  if (error instanceof CorruptValueError) {
    return ':warning: A saved record could not be read. Ask whoever runs the bot to check its storage.';
  }
  return `:warning: Something went wrong on the bot's side. ${whatWasKept} Try again in a minute.`;
}
