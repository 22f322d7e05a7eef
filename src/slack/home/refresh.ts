import type { webApi } from '@slack/bolt';
import type { Deps, HomeChanges, RefreshRound, RoundResult } from '../../deps-types';
import { homeRefreshLockKey } from '../../store/keys';
import { publishHome } from './publisher';

export type { RefreshRound, RoundResult };

export interface HomeRefreshOptions {
  /** The least time between two refresh rounds of one team; default 5 s. */
  readonly minIntervalMs?: number;
  /**
   * Time set aside per view a round publishes, so that a team's rounds stay under views.publish's
   * rate limit (Tier 4: 100 a minute per workspace); default 700 ms, about 85 a minute.
   */
  readonly perViewMs?: number;
  /** The most viewers one round refreshes (the latest to open the App Home); default 50. */
  readonly maxViewers?: number;
  /** How long a team waits after Slack answered `ratelimited`; default 30 s. */
  readonly rateLimitedWaitMs?: number;
}

interface TeamRefresh {
  round: RefreshRound;
  /** The latest change the next round must show. */
  changedAt: number;
  /** Who republishes their own view after every change the next round is for. */
  skip: Set<string>;
  /** A change that came while a round was running: another round follows. */
  changedWhileRunning?: number;
  skipWhileRunning?: Set<string>;
  running: boolean;
  timer?: NodeJS.Timeout;
}

/**
 * Schedules App Home refreshes per team in this process: one round at a time per team, the next
 * no sooner than the last one's window, and every change in between folded into it. A change
 * never waits for Slack: `request` returns at once.
 */
export class HomeRefresher implements HomeChanges {
  readonly minIntervalMs: number;
  readonly perViewMs: number;
  readonly maxViewers: number;
  readonly rateLimitedWaitMs: number;
  private readonly teams = new Map<string, TeamRefresh>();
  private stopped = false;

  constructor(options: HomeRefreshOptions = {}) {
    this.minIntervalMs = options.minIntervalMs ?? 5000;
    this.perViewMs = options.perViewMs ?? 700;
    this.maxViewers = options.maxViewers ?? 50;
    this.rateLimitedWaitMs = options.rateLimitedWaitMs ?? 30_000;
  }

  /**
   * A destination of `teamId` changed at `changedAt`: `round` runs soon, once for all changes.
   * `except`: the user whose own action republishes their view after this change.
   */
  request(teamId: string, changedAt: number, round: RefreshRound, except?: string): void {
    if (this.stopped) return;
    const excepted = new Set(except === undefined ? [] : [except]);
    const pending = this.teams.get(teamId);
    if (!pending) {
      const team: TeamRefresh = { round, changedAt, skip: excepted, running: false };
      this.teams.set(teamId, team);
      this.schedule(teamId, team, 0);
      return;
    }
    pending.round = round;
    if (pending.running) {
      pending.changedWhileRunning = changedAt;
      pending.skipWhileRunning = both(pending.skipWhileRunning ?? excepted, excepted);
    } else {
      pending.changedAt = Math.max(pending.changedAt, changedAt);
      pending.skip = both(pending.skip, excepted);
    }
  }

  /** Teams with a round running or waiting. */
  get size(): number {
    return this.teams.size;
  }

  /** Cancels every waiting round; a running one finishes. */
  stop(): void {
    this.stopped = true;
    for (const team of this.teams.values()) clearTimeout(team.timer);
    this.teams.clear();
  }

  private schedule(teamId: string, team: TeamRefresh, delayMs: number): void {
    team.timer = setTimeout(() => void this.refreshRound(teamId, team), delayMs);
    // Pending refreshes alone must not keep the process alive.
    team.timer.unref();
  }

  /** One refresh round of a team, then the next one scheduled if changes came in meanwhile. */
  private async refreshRound(teamId: string, team: TeamRefresh): Promise<void> {
    team.timer = undefined;
    team.running = true;
    const result = await team
      .round(team.changedAt, team.skip)
      .catch((): RoundResult => ({ complete: false, waitMs: this.minIntervalMs }));
    team.running = false;
    if (this.stopped) return;
    const later = team.changedWhileRunning;
    const laterSkip = team.skipWhileRunning ?? new Set<string>();
    team.changedWhileRunning = undefined;
    team.skipWhileRunning = undefined;
    if (result.complete && later === undefined) {
      this.teams.delete(teamId);
      return;
    }
    if (later !== undefined) {
      team.changedAt = Math.max(team.changedAt, later);
      // A complete round showed the earlier changes: only the later ones' exceptions count.
      team.skip = result.complete ? laterSkip : both(team.skip, laterSkip);
    }
    this.schedule(teamId, team, Math.max(result.waitMs, this.minIntervalMs));
  }
}

/** Those in both sets: a user is left out of a round only if every change in it allows it. */
function both(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  return new Set([...a].filter((user) => b.has(user)));
}

/**
 * Someone's view was built at or after the change (with a margin for clocks of other replicas):
 * it shows the change already.
 */
const FRESH_MARGIN_MS = 1000;

/**
 * One round: republishes the App Home of each recent viewer whose view was built before the
 * change. Across replicas, a lock whose TTL is the round's window (not released) keeps a team
 * to one round per window; a replica that finds it held tries again later.
 */
export async function refreshRound(
  deps: Deps,
  refresher: HomeChanges,
  teamId: string,
  slack: WorkspaceSlack,
  changedAt: number,
  skip: ReadonlySet<string> = new Set(),
): Promise<RoundResult> {
  const viewers = await deps.stores.homeViewers.recent(teamId, refresher.maxViewers);
  const stale = viewers.filter((viewer) => {
    if (skip.has(viewer.userId)) return false;
    const built = viewer.builtAt === undefined ? NaN : Date.parse(viewer.builtAt);
    return !(built >= changedAt + FRESH_MARGIN_MS);
  });
  if (stale.length === 0) return { complete: true, waitMs: 0 };
  const windowMs = Math.max(refresher.minIntervalMs, stale.length * refresher.perViewMs);
  const token = await deps.stores.locks.acquire(homeRefreshLockKey(teamId), windowMs);
  if (token === undefined) return { complete: false, waitMs: refresher.minIntervalMs };
  for (const viewer of stale) {
    const outcome = await publishHome(
      deps,
      {
        teamId,
        userId: viewer.userId,
        client: slack.client,
        ...(slack.token ? { token: slack.token } : {}),
        page: viewer.page,
        ...(viewer.channelId ? { channelId: viewer.channelId } : {}),
        ...(viewer.hash ? { hash: viewer.hash } : {}),
        opened: false,
      },
      deps.logger,
    );
    if (outcome === 'rate_limited') {
      deps.logger.warn({ teamId }, 'App Home: Slack rate-limited views.publish; refreshing later');
      return { complete: false, waitMs: refresher.rateLimitedWaitMs };
    }
  }
  return { complete: true, waitMs: windowMs };
}

/** How a refresh round speaks to the workspace: the client, and the token when not its own. */
export interface WorkspaceSlack {
  readonly client: webApi.WebClient;
  readonly token?: string;
}

/** What a change's refresh leaves out, and which token it publishes with. */
export interface HomeChangeOptions {
  /** A user whose own action republishes their view next. */
  readonly except?: string;
  /** The workspace's bot token, when the client's own token will not outlive the refresh. */
  readonly token?: string;
}

/**
 * A destination of `teamId` changed: the App Homes of those who opened theirs lately follow,
 * soon and throttled. Returns at once and never throws; the refresh runs as a tracked task.
 */
export function homeChanged(
  deps: Deps,
  teamId: string,
  client: webApi.WebClient,
  { except, token }: HomeChangeOptions = {},
): void {
  const refresher = deps.home;
  if (!refresher) return;
  const round: RefreshRound = (changedAt, skip) => {
    let result: RoundResult = { complete: false, waitMs: refresher.minIntervalMs };
    return deps.tasks
      .run(
        async () => {
          const slack = { client, ...(token ? { token } : {}) };
          result = await refreshRound(deps, refresher, teamId, slack, changedAt, skip);
        },
        (error) => deps.logger.warn({ err: error, teamId }, 'App Home: refresh failed'),
      )
      .then(() => result);
  };
  refresher.request(teamId, deps.now().getTime(), round, except);
}
