import { z } from 'zod';
import { CorruptValueError } from '../errors';
import { assertTeamId, homeViewerKey, homeViewersKey } from './keys';
import type { Clock } from './memory';
import { storeCommand } from './redis-errors';
import type { RedisClient } from './redis-client';

/** How long someone who opened their App Home gets its view refreshed when a destination changes. */
export const HOME_VIEWER_TTL_SECONDS = 15 * 60;

/** Someone who opened their App Home lately, and what it shows them. */
export const homeViewerSchema = z.object({
  userId: z.string().min(1),
  /**
   * The user's direct-message channel with the bot (app_home_opened names it): where a setup
   * started from the App Home is answered.
   */
  channelId: z.string().min(1).optional(),
  /** The page of destinations they are on (0-based). */
  page: z.number().int().nonnegative(),
  /** Slack's hash of the view last published for them: a publish with it never overwrites a newer one. */
  hash: z.string().optional(),
  /** When that view was built (ISO): a view built after a change already shows it. */
  builtAt: z.string().optional(),
  /** When they last opened or used their App Home (ISO). */
  openedAt: z.string(),
});
export type HomeViewer = z.infer<typeof homeViewerSchema>;

/**
 * Who looked at their App Home within the last `ttlSeconds`, so that a change of a destination
 * reaches the views people are looking at. Only opening or using the App Home renews the time;
 * publishing a view does not, so nobody gets refreshes forever.
 */
export interface HomeViewerStore {
  /** The user opened or used their App Home: remembered (as given) for the TTL from now. */
  opened(teamId: string, viewer: HomeViewer): Promise<void>;
  /**
   * A view was published for the user: keeps its hash, page and time, within the lifetime the
   * viewer has left. Nothing when the viewer is no longer remembered.
   */
  published(teamId: string, viewer: HomeViewer): Promise<void>;
  get(teamId: string, userId: string): Promise<HomeViewer | undefined>;
  /** The users remembered, most recently opened first, at most `limit`. */
  recent(teamId: string, limit: number): Promise<HomeViewer[]>;
}

function parseViewer(key: string, raw: string): HomeViewer {
  try {
    const parsed = homeViewerSchema.safeParse(JSON.parse(raw));
    if (parsed.success) return parsed.data;
    throw new CorruptValueError(key, parsed.error);
  } catch (error) {
    if (error instanceof CorruptValueError) throw error;
    throw new CorruptValueError(key, error);
  }
}

/**
 * One JSON string per viewer (expiring) and a sorted set of the team's viewers by when they
 * opened, pruned as viewers are added and expiring with the last of them; all in the team's slot.
 */
export class RedisHomeViewerStore implements HomeViewerStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSeconds: number,
    private readonly now: Clock = Date.now,
  ) {}

  async opened(teamId: string, viewer: HomeViewer): Promise<void> {
    const key = homeViewerKey(teamId, viewer.userId);
    const index = homeViewersKey(teamId);
    const now = this.now();
    await storeCommand(key, async () => {
      const replies = await this.redis
        .multi()
        .set(key, JSON.stringify(viewer), 'EX', this.ttlSeconds)
        .zadd(index, now, viewer.userId)
        .zremrangebyscore(index, '-inf', now - this.ttlSeconds * 1000)
        .expire(index, this.ttlSeconds)
        .exec();
      const failed = replies?.find(([error]) => error !== null)?.[0];
      if (failed) throw failed;
    });
  }

  async published(teamId: string, viewer: HomeViewer): Promise<void> {
    const key = homeViewerKey(teamId, viewer.userId);
    await storeCommand(key, () => this.redis.set(key, JSON.stringify(viewer), 'KEEPTTL', 'XX'));
  }

  async get(teamId: string, userId: string): Promise<HomeViewer | undefined> {
    const key = homeViewerKey(teamId, userId);
    const raw = await storeCommand(key, () => this.redis.get(key));
    return raw === null ? undefined : parseViewer(key, raw);
  }

  async recent(teamId: string, limit: number): Promise<HomeViewer[]> {
    const index = homeViewersKey(teamId);
    const since = this.now() - this.ttlSeconds * 1000;
    const userIds = await storeCommand(index, () =>
      this.redis.zrevrangebyscore(index, '+inf', `(${since}`, 'LIMIT', 0, limit),
    );
    if (userIds.length === 0) return [];
    const keys = userIds.map((userId) => homeViewerKey(teamId, userId));
    const raws = await storeCommand(index, () => this.redis.mget(keys));
    const viewers: HomeViewer[] = [];
    raws.forEach((raw, position) => {
      // Expired since it was indexed: no longer recent.
      if (raw === null) return;
      try {
        viewers.push(parseViewer(keys[position], raw));
      } catch {
        // A viewer that no longer parses gets a fresh view when they next open the App Home.
      }
    });
    return viewers;
  }
}

/** The viewers in a map, beside the in-memory stores. */
export class MemoryHomeViewerStore implements HomeViewerStore {
  private readonly viewers = new Map<string, { viewer: HomeViewer; at: number }>();

  constructor(
    private readonly ttlSeconds: number,
    private readonly now: Clock = Date.now,
  ) {}

  async opened(teamId: string, viewer: HomeViewer): Promise<void> {
    const now = this.now();
    for (const [key, entry] of this.viewers) {
      if (this.expired(entry.at, now)) this.viewers.delete(key);
    }
    this.viewers.set(homeViewerKey(teamId, viewer.userId), {
      viewer: structuredClone(viewer),
      at: now,
    });
  }

  async published(teamId: string, viewer: HomeViewer): Promise<void> {
    const key = homeViewerKey(teamId, viewer.userId);
    const entry = this.viewers.get(key);
    if (!entry || this.expired(entry.at, this.now())) return;
    this.viewers.set(key, { viewer: structuredClone(viewer), at: entry.at });
  }

  async get(teamId: string, userId: string): Promise<HomeViewer | undefined> {
    const entry = this.viewers.get(homeViewerKey(teamId, userId));
    return entry && !this.expired(entry.at, this.now()) ? structuredClone(entry.viewer) : undefined;
  }

  async recent(teamId: string, limit: number): Promise<HomeViewer[]> {
    assertTeamId(teamId);
    const now = this.now();
    const prefix = homeViewerKey(teamId, '');
    return [...this.viewers.entries()]
      .filter(([key, entry]) => key.startsWith(prefix) && !this.expired(entry.at, now))
      .sort(([, a], [, b]) => b.at - a.at)
      .slice(0, limit)
      .map(([, entry]) => structuredClone(entry.viewer));
  }

  private expired(at: number, now: number): boolean {
    return at + this.ttlSeconds * 1000 <= now;
  }
}
