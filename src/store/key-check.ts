import { StoreUnavailableError } from '../errors';
import type { Logger } from '../log/logger';
import type { RedisClient } from './redis-client';
import type { Keyring } from './secrets';
import { checkStoredKey, StoredKeyError } from './secrets-check';

/** Where the start-up check of the encryption key stands. */
export type KeyCheckState = 'pending' | 'passed' | 'refused';

export interface StoredKeyCheckOptions {
  /** How long to wait between attempts while Redis does not answer; default 2 s. */
  readonly retryMs?: number;
}

/**
 * The check of STORE_ENCRYPTION_KEY against the secrets in Redis, which never skips itself: while
 * Redis does not answer it is tried again in the background until it has run. Until it passes,
 * the keyring seals and opens nothing and `/healthz` answers 503, so a wrong key never serves.
 */
export class StoredKeyCheck {
  private current: KeyCheckState = 'pending';
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private refusal: StoredKeyError | undefined;
  private saidWaiting = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly keyring: Keyring | undefined,
    private readonly logger: Logger,
    private readonly options: StoredKeyCheckOptions = {},
  ) {}

  get state(): KeyCheckState {
    return this.current;
  }

  get passed(): boolean {
    return this.current === 'passed';
  }

  /**
   * Checks at once, and again until it has run. Resolves once it passed, or after `waitMs` with
   * the check still going on in the background; rejects with the StoredKeyError when the keys do
   * not fit what Redis holds within `waitMs` (the bot must not start).
   */
  async start(waitMs: number): Promise<KeyCheckState> {
    const done = new Promise<void>((resolve) => {
      this.onSettled = resolve;
    });
    void this.attempt();
    let waited: NodeJS.Timeout | undefined;
    await Promise.race([
      done,
      new Promise<void>((resolve) => {
        waited = setTimeout(resolve, waitMs);
      }),
    ]);
    clearTimeout(waited);
    if (this.current === 'refused' && this.refusal) throw this.refusal;
    if (this.current === 'pending') {
      this.logger.warn(
        'Redis does not answer yet: STORE_ENCRYPTION_KEY is checked as soon as it does; until then nothing is sealed or opened and /healthz answers 503',
      );
    }
    return this.current;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private onSettled: () => void = () => undefined;

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    try {
      await checkStoredKey(this.redis, this.keyring);
      this.current = 'passed';
      if (this.saidWaiting) this.logger.info('STORE_ENCRYPTION_KEY checked against Redis: serving');
      this.onSettled();
      return;
    } catch (error) {
      if (error instanceof StoredKeyError) {
        if (this.current !== 'refused') this.logger.error({ err: error }, error.message);
        this.current = 'refused';
        this.refusal = error;
        this.onSettled();
      } else if (!(error instanceof StoreUnavailableError)) {
        this.logger.error({ err: error }, 'the encryption key check failed');
      }
      this.saidWaiting = true;
    }
    // Not checked yet (or refused: Redis may be restored from elsewhere): try again.
    this.timer = setTimeout(() => void this.attempt(), this.options.retryMs ?? 2000);
    this.timer.unref();
  }
}
