import { z } from 'zod';
import type { AddedAdmins, AdminChange } from '../../deps-types';
import type { AddedAdminSets } from '../../store/installations';

/** A Slack user id, as a people picker returns them. */
export const userIdSchema = z.string().regex(/^[UW][A-Z0-9]{2,30}$/);

/** How many people the Admins section can hold: a picker's own limit is far above any need. */
export const MAX_ADDED_ADMINS = 100;

export type { AdminChange };

// Slack's own roles change rarely; an answer is trusted this long, and no longer.
const ROLE_CACHE_MS = 5 * 60_000;
const ROLE_CACHE_MAX = 10_000;

/**
 * Each workspace's added admins (kept by the store) and what `users.info` said about people's
 * roles (in this process, for at most 5 minutes).
 */
export class WorkspaceAdmins implements AddedAdmins {
  private readonly roles = new Map<string, { owner: boolean; until: number }>();

  constructor(
    private readonly sets: AddedAdminSets,
    private readonly now: () => number = Date.now,
  ) {}

  /** The people an admin added, sorted. */
  added(teamId: string): Promise<string[]> {
    return this.sets.members(teamId);
  }

  isAdded(teamId: string, userId: string): Promise<boolean> {
    return this.sets.has(teamId, userId);
  }

  /** Makes `userIds` the workspace's added admins; answers what changed. */
  replace(teamId: string, userIds: readonly string[]): Promise<AdminChange> {
    return this.sets.replace(teamId, userIds);
  }

  /** Whether `users.info` said lately that the user is a workspace owner or admin. */
  cachedRole(teamId: string, userId: string): boolean | undefined {
    const entry = this.roles.get(`${teamId}:${userId}`);
    if (!entry) return undefined;
    if (entry.until > this.now()) return entry.owner;
    this.roles.delete(`${teamId}:${userId}`);
    return undefined;
  }

  rememberRole(teamId: string, userId: string, owner: boolean): void {
    if (this.roles.size >= ROLE_CACHE_MAX) this.roles.clear();
    this.roles.set(`${teamId}:${userId}`, { owner, until: this.now() + ROLE_CACHE_MS });
  }
}
