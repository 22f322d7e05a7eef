import { z } from 'zod';
import { CorruptValueError } from '../errors';
import { assertTeamId, historyKey } from './keys';
import { storeCommand } from './redis-errors';
import type { RedisClient } from './redis-client';

/** How many checks of a destination are kept: the App Home shows them as a strip. */
export const CHECK_HISTORY_MAX_ENTRIES = 24;

/**
 * How long a history outlives its latest check. A check recorded just before a remove can append
 * after the remove cleared the history; such an orphan expires by itself.
 */
export const CHECK_HISTORY_TTL_SECONDS = 90 * 24 * 60 * 60;

/** One recorded check: when it started and whether it passed. */
export const checkHistoryEntrySchema = z.object({
  at: z.string(),
  ok: z.boolean(),
});
export type CheckHistoryEntry = z.infer<typeof checkHistoryEntrySchema>;

/** A check as its destination's history keeps it: when it started and whether it passed. */
export function historyEntryJson({ at, ok }: CheckHistoryEntry): string {
  return JSON.stringify({ at, ok });
}

/**
 * The latest checks of each saved destination, for the App Home's strip. A check's record adds
 * its entry in the same step (the destination store's `record`); a save appends its own here.
 */
export interface CheckHistoryStore {
  /**
   * Adds one check; only the newest CHECK_HISTORY_MAX_ENTRIES are kept. `anew`: the history
   * starts with it, whatever was there (a destination connected anew), in the same step.
   */
  append(teamId: string, bucket: string, entry: CheckHistoryEntry, anew?: boolean): Promise<void>;
  /** Each bucket's kept checks, oldest first; a bucket without history maps to `[]`. */
  recent(teamId: string, buckets: readonly string[]): Promise<Map<string, CheckHistoryEntry[]>>;
  /** Forgets the bucket's history (the destination was removed, or is connected anew). */
  clear(teamId: string, bucket: string): Promise<void>;
}

/** Oldest first; two checks appended out of order (they raced) are shown in the order they ran. */
function oldestFirst(entries: CheckHistoryEntry[]): CheckHistoryEntry[] {
  return entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

function parseEntry(raw: string): CheckHistoryEntry | undefined {
  try {
    const parsed = checkHistoryEntrySchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A capped list per destination (`LPUSH` + `LTRIM`), in the team's slot. */
export class RedisCheckHistoryStore implements CheckHistoryStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly onCorrupt: (error: CorruptValueError) => void = () => undefined,
  ) {}

  async append(teamId: string, bucket: string, entry: CheckHistoryEntry, anew = false) {
    const key = historyKey(teamId, bucket);
    await storeCommand(key, async () => {
      const transaction = this.redis.multi();
      if (anew) transaction.del(key);
      const replies = await transaction
        .lpush(key, historyEntryJson(entry))
        .ltrim(key, 0, CHECK_HISTORY_MAX_ENTRIES - 1)
        .expire(key, CHECK_HISTORY_TTL_SECONDS)
        .exec();
      const failed = replies?.find(([error]) => error !== null)?.[0];
      if (failed) throw failed;
    });
  }

  async recent(
    teamId: string,
    buckets: readonly string[],
  ): Promise<Map<string, CheckHistoryEntry[]>> {
    assertTeamId(teamId);
    const histories = new Map<string, CheckHistoryEntry[]>();
    if (buckets.length === 0) return histories;
    const keys = buckets.map((bucket) => historyKey(teamId, bucket));
    // One round trip: every key shares the team's slot, so a Cluster takes the pipeline whole.
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.lrange(key, 0, CHECK_HISTORY_MAX_ENTRIES - 1);
    const replies = await storeCommand(keys[0], async () => {
      const answered = (await pipeline.exec()) ?? [];
      const failed = answered.find(([error]) => error !== null)?.[0];
      if (failed) throw failed;
      return answered;
    });
    buckets.forEach((bucket, index) => {
      const raws = (replies[index]?.[1] ?? []) as string[];
      const entries: CheckHistoryEntry[] = [];
      for (const raw of raws) {
        const entry = parseEntry(raw);
        if (entry) entries.push(entry);
        else this.onCorrupt(new CorruptValueError(keys[index], raw));
      }
      histories.set(bucket, oldestFirst(entries));
    });
    return histories;
  }

  async clear(teamId: string, bucket: string): Promise<void> {
    const key = historyKey(teamId, bucket);
    await storeCommand(key, () => this.redis.del(key));
  }
}

/** The histories in a map, capped the same way. */
export class MemoryCheckHistoryStore implements CheckHistoryStore {
  private readonly byKey = new Map<string, CheckHistoryEntry[]>();

  async append(teamId: string, bucket: string, entry: CheckHistoryEntry, anew = false) {
    const key = historyKey(teamId, bucket);
    const kept = anew ? [] : (this.byKey.get(key) ?? []);
    const entries = [structuredClone(entry), ...kept];
    this.byKey.set(key, entries.slice(0, CHECK_HISTORY_MAX_ENTRIES));
  }

  async recent(
    teamId: string,
    buckets: readonly string[],
  ): Promise<Map<string, CheckHistoryEntry[]>> {
    assertTeamId(teamId);
    return new Map(
      buckets.map((bucket) => [
        bucket,
        oldestFirst(structuredClone(this.byKey.get(historyKey(teamId, bucket)) ?? [])),
      ]),
    );
  }

  async clear(teamId: string, bucket: string): Promise<void> {
    this.byKey.delete(historyKey(teamId, bucket));
  }
}
