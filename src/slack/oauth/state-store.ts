import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { InstallURLOptions } from '@slack/bolt';
import { z } from 'zod';
import type { InstallStates } from '../../deps-types';
import { AppError } from '../../errors';
import type { UsedInstallStates } from '../../store/installations';

/** How long an install may take from `/slack/install` to Slack's redirect back: Bolt's cookie life. */
export const STATE_TTL_SECONDS = 600;

/** The code Bolt's failure handlers know an invalid state by (`@slack/oauth` ErrorCode). */
const INVALID_STATE = 'slack_oauth_invalid_state';

/** A state this app did not issue, or one expired or used; Bolt knows it by its code. */
export class InvalidOAuthStateError extends AppError {
  constructor(message: string) {
    super(INVALID_STATE, message);
  }
}

/** What a state carries: its id (marked used once), its expiry, and the install's options. */
const statePayloadSchema = z.object({
  id: z.string().min(16).max(64),
  /** Epoch seconds after which the state is refused. */
  exp: z.number().int().positive(),
  options: z.object({ scopes: z.union([z.string(), z.array(z.string())]) }).passthrough(),
});

/** A state checked: its id, the seconds it has left, and the install's options. */
interface CheckedState {
  readonly id: string;
  readonly left: number;
  readonly options: InstallURLOptions;
}

/**
 * OAuth state that carries itself: `<base64url JSON {id, exp, options}>.<HMAC-SHA256 of it under
 * SLACK_STATE_SECRET>`. `/slack/install` writes nothing anywhere (a loop of requests to the public
 * page cannot fill Redis); any replica checks the signature and the expiry, and reads whether the
 * id was used. It is marked used (`SET NX EX`, until the state would expire anyway) only once
 * Slack has accepted the callback's code: a callback with a code Slack refuses writes nothing, and
 * each state still completes one install. Bolt's state cookie check stays on.
 */
export class SignedStateStore implements InstallStates {
  constructor(
    private readonly used: UsedInstallStates,
    private readonly stateSecret: string,
  ) {}

  async generateStateParam(installOptions: InstallURLOptions, now: Date): Promise<string> {
    const payload = Buffer.from(
      JSON.stringify({
        id: randomBytes(18).toString('base64url'),
        exp: Math.floor(now.getTime() / 1000) + STATE_TTL_SECONDS,
        options: installOptions,
      }),
    ).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  /** The install's options, when this app issued the state, it has not expired nor been used. */
  async verifyStateParam(now: Date, state: string): Promise<InstallURLOptions> {
    const { id, options } = this.check(now, state);
    if (await this.used.wasUsed(id)) {
      throw new InvalidOAuthStateError('The state parameter was already used.');
    }
    return options;
  }

  async markUsed(state: string, now: Date): Promise<void> {
    const { id, left } = this.check(now, state);
    if (!(await this.used.markUsed(id, left))) {
      throw new InvalidOAuthStateError('The state parameter was already used.');
    }
  }

  /** The state's parts when this app signed it and it has not expired; throws otherwise. */
  private check(now: Date, state: string): CheckedState {
    const [payload, signature, extra] = state.split('.');
    if (!payload || !signature || extra !== undefined || !this.signedBy(payload, signature)) {
      throw new InvalidOAuthStateError('The state parameter was not issued by this app.');
    }
    const parsed = statePayloadSchema.safeParse(parseJson(payload));
    if (!parsed.success) {
      throw new InvalidOAuthStateError('The state parameter is not in a form this app issues.');
    }
    const { id, exp, options } = parsed.data;
    const left = exp - Math.floor(now.getTime() / 1000);
    if (left <= 0) throw new InvalidOAuthStateError('The state parameter has expired.');
    return { id, left, options: options as InstallURLOptions };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.stateSecret).update(payload).digest('base64url');
  }

  private signedBy(payload: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

function parseJson(payload: string): unknown {
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}
