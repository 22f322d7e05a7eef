/** The one base class for errors this app raises on purpose; `code` is what callers narrow on. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A value read back from a store did not match its schema. */
export class CorruptValueError extends AppError {
  constructor(key: string, cause: unknown) {
    super('corrupt_value', `Stored value at ${key} is not valid`, { cause });
  }
}

/** A stored secret that the configured keys cannot open (wrong or missing STORE_ENCRYPTION_KEY). */
export class SealedValueError extends CorruptValueError {
  constructor(key: string, cause: Error) {
    super(key, cause);
    this.message = `Stored value at ${key} holds a secret that cannot be opened: ${cause.message}`;
  }
}

/** The store (Redis) could not be reached or did not answer in time. */
export class StoreUnavailableError extends AppError {
  constructor(cause: unknown) {
    super('store_unavailable', 'The session store is not answering', { cause });
  }
}
