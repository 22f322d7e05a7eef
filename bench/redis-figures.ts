import type { Redis } from 'ioredis';

/** Every key matching `pattern` (a full key name, prefix included). */
export async function scanKeys(admin: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

/** Redis's own account of the bytes a key takes (value, key name and overhead). */
export async function memoryUsage(admin: Redis, key: string): Promise<number> {
  // SAMPLES 0: measure every element of a set instead of estimating from five.
  const bytes = await admin.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
  return Number(bytes ?? 0);
}

/** The mean MEMORY USAGE of up to `sample` of `keys`, or undefined when there are none. */
export async function meanMemoryUsage(
  admin: Redis,
  keys: readonly string[],
  sample: number,
): Promise<number | undefined> {
  const measured = keys.slice(0, sample);
  if (measured.length === 0) return undefined;
  let total = 0;
  for (const key of measured) total += await memoryUsage(admin, key);
  return total / measured.length;
}

/** Deletes every key under `prefix`; returns how many there were. */
export async function deleteKeys(admin: Redis, prefix: string): Promise<number> {
  const keys = await scanKeys(admin, `${prefix}*`);
  for (let start = 0; start < keys.length; start += 1000) {
    await admin.unlink(...keys.slice(start, start + 1000));
  }
  return keys.length;
}
