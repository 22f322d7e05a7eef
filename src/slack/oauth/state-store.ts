import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { InstallURLOptions, StateStore } from '@slack/bolt';
import { oauthStateKey } from '../../store/keys';
import { run, type RedisClient } from '../../store/redis';

/** How long an install may take from `/slack/install` to Slack's redirect back: Bolt's cookie life. */
export const STATE_TTL_SECONDS = 600;

/** The code Bolt's failure handlers know an invalid state by (`@slack/oauth` ErrorCode). */
const INVALID_STATE = 'slack_oauth_invalid_state';

export class InvalidOAuthStateError extends Error {
  readonly code = INVALID_STATE;
}

/**
 * OAuth state in Redis, so an install begun on one replica finishes on any other. The state is
 * `<id>.<HMAC-SHA256 of id under SLACK_STATE_SECRET>`: a forged one is refused before Redis is
 * asked; each is accepted once, within STATE_TTL_SECONDS. Bolt's state cookie check stays on.
 */
export class RedisStateStore implements StateStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly stateSecret: string,
  ) {}

  async generateStateParam(installOptions: InstallURLOptions): Promise<string> {
    const id = randomBytes(18).toString('base64url');
    const key = oauthStateKey(id);
    await run(key, () =>
      this.redis.set(key, JSON.stringify(installOptions), 'EX', STATE_TTL_SECONDS),
    );
    return `${id}.${this.sign(id)}`;
  }

  async verifyStateParam(_now: Date, state: string): Promise<InstallURLOptions> {
    const [id, signature, extra] = state.split('.');
    if (!id || !signature || extra !== undefined || !this.signedBy(id, signature)) {
      throw new InvalidOAuthStateError('The state parameter was not issued by this app.');
    }
    const key = oauthStateKey(id);
    const stored = await run(key, () => this.redis.getdel(key));
    if (stored === null) {
      throw new InvalidOAuthStateError('The state parameter has expired or was already used.');
    }
    return JSON.parse(stored) as InstallURLOptions;
  }

  private sign(id: string): string {
    return createHmac('sha256', this.stateSecret).update(id).digest('base64url');
  }

  private signedBy(id: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(id));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
