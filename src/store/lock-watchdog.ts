import type { Fence, LockStore } from './types';

export type LockedRun<T> = { readonly held: true; readonly value: T } | { readonly held: false };

/**
 * Runs `work` while holding the lock `key`, renewing it every third of `ttlMs` for as long as the
 * work runs (however long it waits for a turn), so the lock lives exactly as long as its work and
 * still expires soon after a crashed holder. `work` gets the fence that its record must present:
 * if the lock was lost meanwhile, the store refuses the write. `{ held: false }` when another
 * holder has the lock.
 */
export async function withLock<T>(
  locks: LockStore,
  key: string,
  ttlMs: number,
  work: (fence: Fence) => Promise<T>,
): Promise<LockedRun<T>> {
  const token = await locks.acquire(key, ttlMs);
  if (token === undefined) return { held: false };
  let lost = false;
  const renew = setInterval(
    () => {
      if (lost) return;
      locks.extend(key, token, ttlMs).then(
        (kept) => {
          lost = !kept;
        },
        // A store hiccup: the lock still has two thirds of its TTL, the next renewal tries again.
        () => undefined,
      );
    },
    Math.max(1, Math.floor(ttlMs / 3)),
  );
  renew.unref();
  try {
    return { held: true, value: await work({ lockKey: key, token }) };
  } finally {
    clearInterval(renew);
    await locks.release(key, token).catch(() => undefined);
  }
}

const WAIT_STEP_MS = 20;

/**
 * withLock, waiting up to `waitMs` for the lock instead of giving up at once: for short critical
 * sections that every caller must get through (record a change, then tell the team).
 */
export async function withLockWaiting<T>(
  locks: LockStore,
  key: string,
  ttlMs: number,
  waitMs: number,
  work: (fence: Fence) => Promise<T>,
): Promise<LockedRun<T>> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const run = await withLock(locks, key, ttlMs, work);
    if (run.held || Date.now() >= deadline) return run;
    await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
  }
}
