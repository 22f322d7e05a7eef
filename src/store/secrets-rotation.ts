import { SEALED_VALUE_PATTERNS, tokenRefreshLockKey } from './keys';
import { challengeKeyBinding } from './stored-values';
import { RedisLockStore } from './redis-locks';
import { LuaScript } from './lua-script';
import { storeCommand } from './redis-errors';
import { scanKeys } from './scan-keys';
import type { RedisClient } from './redis-client';
import { markSealedWith } from './secrets-check';
import { isSealed, KeyringError, type Keyring } from './secrets';
import { ResealError } from '../errors';

/** What holds a secret, and where in the value it is. */
const SECRET_KEYS = [
  { pattern: SEALED_VALUE_PATTERNS.sessions, field: 'challengeKey' },
  { pattern: SEALED_VALUE_PATTERNS.destinations, field: 'challengeKey' },
  // The installation JSON is sealed whole (src/slack/oauth/installations.ts).
  { pattern: SEALED_VALUE_PATTERNS.installations, field: undefined },
] as const;

/**
 * KEYS: the value's key. ARGV: the value read, the value re-sealed. Replaces the value only if it
 * is still the one read, so a save meanwhile is never overwritten with older data; KEEPTTL keeps
 * a session's expiry.
 */
const RESEAL_SCRIPT = new LuaScript(`
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('set', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
`);

// A value changed between read and write is read again; a save seals with the current key, so the
// second read normally finds it current.
const ATTEMPTS = 5;
const PARALLEL = 32;

export interface RotationFailure {
  readonly key: string;
  /** Why, naming the key id when the value has one; never the value. */
  readonly reason: string;
}

export interface RotationReport {
  readonly resealed: number;
  /** The keys whose secret was in plain text (stored before encryption was turned on), now sealed. */
  readonly fromPlainText: string[];
  readonly current: number;
  /** Deleted or expired while the rotation ran. */
  readonly gone: number;
  readonly failures: RotationFailure[];
}

type Outcome = 'resealed' | 'fromPlainText' | 'current' | 'gone';

/** A value re-sealed: what to store, and whether its secret was in plain text. */
interface Resealed {
  readonly value: string;
  readonly fromPlainText: boolean;
}

/**
 * `raw` (stored at `key`) with its secret sealed with the current key and bound to where it
 * lives, or undefined when it already is. A value sealed before the binding opens as it was.
 */
function resealed(
  key: string,
  raw: string,
  field: string | undefined,
  keyring: Keyring,
): Resealed | undefined {
  if (field === undefined) {
    if (!keyring.needsResealing(raw)) return undefined;
    const plaintext = keyring.openToReseal(raw, key);
    assertServes(key, plaintext);
    return { value: keyring.seal(plaintext, key), fromPlainText: !isSealed(raw) };
  }
  const value: unknown = JSON.parse(raw);
  const secret = (value as Record<string, unknown> | null)?.[field];
  if (typeof secret !== 'string') throw new ResealError(`the value has no ${field}`);
  if (!keyring.needsResealing(secret)) return undefined;
  const binding = challengeKeyBinding(key);
  const sealed = keyring.seal(keyring.openToReseal(secret, binding), binding);
  return {
    value: JSON.stringify({ ...(value as object), [field]: sealed }),
    fromPlainText: !isSealed(secret),
  };
}

/** An installation is bound to its key only if it serves the team the key names. */
function assertServes(key: string, plaintext: string): void {
  const id = /^s3d:\{([^{}]+)\}:installation$/.exec(key)?.[1];
  const installation = JSON.parse(plaintext) as {
    team?: { id?: string } | null;
    enterprise?: { id?: string } | null;
    isEnterpriseInstall?: boolean;
  };
  const serves = installation.isEnterpriseInstall
    ? installation.enterprise?.id
    : installation.team?.id;
  if (serves !== id)
    throw new ResealError(`the installation stored there serves ${serves ?? 'no team'}`);
}

// Longer than a token refresh may hold the installation's lock (15 s).
const REFRESH_LOCK_WAIT_MS = 20_000;
const REFRESH_LOCK_TTL_MS = 15_000;

/**
 * Runs `reseal` holding the installation's token-refresh lock: a refresh spends Slack's refresh
 * token, so its write must never race with a re-seal of the same installation.
 */
async function underRefreshLock<T>(
  redis: RedisClient,
  key: string,
  reseal: () => Promise<T>,
): Promise<T> {
  const id = /^s3d:\{([^{}]+)\}:installation$/.exec(key)?.[1];
  if (id === undefined) return reseal();
  const locks = new RedisLockStore(redis);
  const lockKey = tokenRefreshLockKey(id);
  const until = Date.now() + REFRESH_LOCK_WAIT_MS;
  let token = await locks.acquire(lockKey, REFRESH_LOCK_TTL_MS);
  while (token === undefined) {
    if (Date.now() > until) throw new ResealError('a token refresh held the installation too long');
    await new Promise((resolve) => setTimeout(resolve, 100));
    token = await locks.acquire(lockKey, REFRESH_LOCK_TTL_MS);
  }
  try {
    return await reseal();
  } finally {
    await locks.release(lockKey, token).catch(() => undefined);
  }
}

async function resealOne(
  redis: RedisClient,
  key: string,
  field: string | undefined,
  keyring: Keyring,
): Promise<Outcome> {
  return underRefreshLock(redis, key, () => resealUnlocked(redis, key, field, keyring));
}

async function resealUnlocked(
  redis: RedisClient,
  key: string,
  field: string | undefined,
  keyring: Keyring,
): Promise<Outcome> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const raw = await storeCommand(key, () => redis.get(key));
    if (raw === null) return 'gone';
    const replacement = resealed(key, raw, field, keyring);
    if (replacement === undefined) return 'current';
    const replaced = await storeCommand(key, () =>
      RESEAL_SCRIPT.run(redis, [key], [raw, replacement.value]),
    );
    if (replaced === 1) return replacement.fromPlainText ? 'fromPlainText' : 'resealed';
  }
  throw new ResealError(`the value kept changing over ${ATTEMPTS} attempts`);
}

/**
 * Re-seals every secret in Redis (challenge names of sessions and destinations, installations)
 * that is plain (stored before encryption was turned on), unbound or sealed with another key than
 * the keyring's current one, bound to where it lives, on every primary (an installation under its
 * token-refresh lock); then, if none failed, marks Redis as sealed with the current key and bound
 * (the start-up check's canary). A plain secret counts as re-sealed, and its key is named too.
 */
export async function rotateSecrets(redis: RedisClient, keyring: Keyring): Promise<RotationReport> {
  const counts = { resealed: 0, current: 0, gone: 0 };
  const fromPlainText: string[] = [];
  const failures: RotationFailure[] = [];
  for (const { pattern, field } of SECRET_KEYS) {
    const keys = (await scanKeys(redis, pattern)).sort();
    for (let start = 0; start < keys.length; start += PARALLEL) {
      await Promise.all(
        keys.slice(start, start + PARALLEL).map(async (key) => {
          try {
            const outcome = await resealOne(redis, key, field, keyring);
            if (outcome === 'fromPlainText') fromPlainText.push(key);
            counts[outcome === 'fromPlainText' ? 'resealed' : outcome] += 1;
          } catch (error) {
            failures.push({ key, reason: reasonOf(error) });
          }
        }),
      );
    }
  }
  // Every value is sealed with the current key and bound to where it lives: from now on, unbound
  // values are refused too (the canary says so to every replica's start).
  if (failures.length === 0) await markSealedWith(redis, keyring, undefined, true);
  return { ...counts, fromPlainText: fromPlainText.sort(), failures };
}

function reasonOf(error: unknown): string {
  if (error instanceof KeyringError) return error.message;
  if (error instanceof SyntaxError) return 'the value is not JSON';
  return error instanceof Error ? error.message : String(error);
}
