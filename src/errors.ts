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

/** REDIS_URL does not name a Redis this app can connect to; the message says what is wrong. */
export class InvalidRedisUrlError extends AppError {
  constructor(message: string) {
    super('invalid_redis_url', message);
  }
}

/** A team id that cannot name store keys: empty, or with a brace that would move its hash tag. */
export class InvalidTeamIdError extends AppError {
  constructor(readonly teamId: string) {
    super('invalid_team_id', `Invalid team id for a store key: ${JSON.stringify(teamId)}`);
  }
}

/** A setting that a tool or a mode cannot work without is not set; the message names it. */
export class MissingSettingError extends AppError {
  constructor(message: string) {
    super('missing_setting', message);
  }
}

/** Slack did not confirm SLACK_BOT_TOKEN as a bot's token at start-up: refused, unreachable, or not a bot. */
export class BotIdentityError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('bot_identity', message, cause === undefined ? undefined : { cause });
  }
}

/** A service (Slack, STS) answered without a part this app cannot go on without. */
export class IncompleteAnswerError extends AppError {
  constructor(message: string) {
    super('incomplete_answer', message);
  }
}

/** No installation serves the workspace or organization a request came from. */
export class InstallationNotFoundError extends AppError {
  constructor(readonly installationId: string | undefined) {
    super('installation_not_found', `No installation for ${installationId ?? 'an unknown team'}`);
  }
}

/** One stored secret could not be sealed again with the current key; the message says why. */
export class ResealError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('reseal_failed', message, cause === undefined ? undefined : { cause });
  }
}
