import type { types, webApi } from '@slack/bolt';
import type { Deps } from '../../deps-types';
import type { Logger } from '../../log/logger';
import type { HomeViewer } from '../../store/home-viewers';
import { confirmAdmin } from '../admins/rule';
import type { HomeAdmins } from './admins-view';
import { slackErrorCode } from '../messaging';
import { describeFailure } from '../user-errors';
import {
  HOME_RECENT_ACTIVITY,
  buildHomeProblemView,
  buildHomeView,
  homePage,
  type HomeMetadata,
} from './view';
import { callWebApi } from '../web-api';

const PUBLISH_TIMEOUT_MS = 5000;

/** Whose App Home to publish, and what it should show. */
export interface HomeTarget {
  readonly teamId: string;
  readonly userId: string;
  readonly client: webApi.WebClient;
  /** The token to publish with; the client's own when unset. */
  readonly token?: string;
  /** The user's direct-message channel with the bot, when the request named it. */
  readonly channelId?: string;
  /** The page to show; the one the user was on when unset. */
  readonly page?: number;
  /** The hash of the view the user has, when the request carried it. */
  readonly hash?: string;
  readonly notice?: string;
  /**
   * The user opened or used the App Home: they are remembered as a recent viewer, whose view
   * follows changes. A refresh passes false, so that nobody is refreshed forever.
   */
  readonly opened: boolean;
}

/**
 * `published`; `newer_view` (Slack holds a view newer than this one: left alone); `rate_limited`
 * (Slack refused for now); `failed` (logged).
 */
export type PublishOutcome = 'published' | 'newer_view' | 'rate_limited' | 'failed';

/** The view for one user, from what the stores hold now; a store failure is said in the view. */
async function homeViewFor(
  deps: Deps,
  target: HomeTarget,
  page: number,
  channelId: string | undefined,
  now: Date,
  log: Logger,
): Promise<{ view: types.HomeView; page: number }> {
  const { teamId } = target;
  const metadata: HomeMetadata = { page, ...(channelId ? { channelId } : {}) };
  let destinations;
  try {
    destinations = await deps.stores.destinations.list(teamId);
  } catch (error) {
    log.warn({ err: error, teamId }, 'App Home: the destinations could not be read');
    return { view: buildHomeProblemView(describeFailure(error, ''), metadata), page };
  }
  const { shown, page: shownPage } = homePage(destinations, page);
  // History is history: a failure to read it shows no strips, never hides the destinations.
  const [histories, recent] = await Promise.all([
    deps.stores.history
      .recent(
        teamId,
        shown.map((destination) => destination.settings.bucket),
      )
      .catch((error: unknown) => {
        log.warn({ err: error, teamId }, 'App Home: the check history could not be read');
        return new Map();
      }),
    deps.stores.audit.recent(teamId, HOME_RECENT_ACTIVITY).catch(() => []),
  ]);
  const { isAdmin, admins } = await adminsShown(deps, target, log);
  const view = buildHomeView({
    destinations,
    histories,
    recent,
    page: shownPage,
    isAdmin,
    ...(admins ? { admins } : {}),
    now,
    ...(channelId ? { channelId } : {}),
    ...(target.notice ? { notice: target.notice } : {}),
  });
  return { view, page: shownPage };
}

/**
 * Whether the viewer is an admin (a viewer whose rights cannot be confirmed sees no admin buttons)
 * and, for an admin in OAuth mode, the Admins section's content.
 */
async function adminsShown(
  deps: Deps,
  target: HomeTarget,
  log: Logger,
): Promise<{ isAdmin: boolean; admins?: HomeAdmins }> {
  const { teamId, userId } = target;
  const answer = await confirmAdmin(deps, {
    teamId,
    userId,
    client: target.client,
    ...(target.token ? { token: target.token } : {}),
  });
  if (answer !== 'admin' || !deps.oauth) return { isAdmin: answer === 'admin' };
  try {
    const [added, installation] = await Promise.all([
      deps.oauth.admins.added(teamId),
      deps.oauth.installations.forTeam(teamId),
    ]);
    const installerId = installation?.user?.id;
    return { isAdmin: true, admins: { added, ...(installerId ? { installerId } : {}) } };
  } catch (error) {
    log.warn({ err: error, teamId }, 'App Home: the admins could not be read');
    return { isAdmin: true };
  }
}

/**
 * Builds the user's App Home from the stores and publishes it with `views.publish`, passing the
 * hash of the view the user has, so that a view built earlier never replaces one built later
 * (Slack answers `hash_conflict`). Never throws.
 */
export async function publishHome(
  deps: Deps,
  target: HomeTarget,
  log: Logger,
): Promise<PublishOutcome> {
  const { teamId, userId } = target;
  const viewers = deps.stores.homeViewers;
  const warn = (what: string) => (error: unknown) =>
    log.warn({ err: error, teamId, userId }, `App Home: ${what}`);
  const known = await viewers.get(teamId, userId).catch((error: unknown) => {
    warn('the viewer could not be read')(error);
    return undefined;
  });
  const channelId = target.channelId ?? known?.channelId;
  const builtAt = deps.now();
  const { view, page } = await homeViewFor(
    deps,
    target,
    target.page ?? known?.page ?? 0,
    channelId,
    builtAt,
    log,
  );
  const viewer: HomeViewer = {
    ...known,
    userId,
    page,
    ...(channelId ? { channelId } : {}),
    openedAt: target.opened || !known ? builtAt.toISOString() : known.openedAt,
  };
  if (target.opened)
    await viewers.opened(teamId, viewer).catch(warn('could not remember the viewer'));

  // Our own record of the view last published is the newest hash we know; the request's own
  // (what the user had when they clicked or opened) is the fallback.
  let hash = known?.hash ?? target.hash;
  const tried = new Set<string | undefined>();
  for (;;) {
    tried.add(hash);
    try {
      const reply = await callWebApi(
        target.client,
        target.token ?? target.client.token,
        'views.publish',
        { user_id: userId, view, ...(hash ? { hash } : {}) },
        PUBLISH_TIMEOUT_MS,
      );
      const published = (reply.view as { hash?: unknown } | undefined)?.hash;
      await viewers
        .published(teamId, {
          ...viewer,
          ...(typeof published === 'string' ? { hash: published } : {}),
          builtAt: builtAt.toISOString(),
        })
        .catch(warn('could not keep the published view’s hash'));
      return 'published';
    } catch (error) {
      const code = slackErrorCode(error);
      if (code === 'hash_conflict') {
        const next = await hashToRetry(deps, target, builtAt, tried);
        if (next === undefined) return 'newer_view';
        hash = next;
        continue;
      }
      if (code === 'ratelimited') return 'rate_limited';
      log.warn({ err: error, slackError: code, teamId, userId }, 'App Home: views.publish failed');
      return 'failed';
    }
  }
}

/**
 * After `hash_conflict`: the hash to publish over, if the view Slack holds is older than ours.
 * Another publish recorded since, built before ours: its hash. One built after ours: none, it
 * stays. Nothing new recorded: the view the request came with, if not tried yet.
 */
async function hashToRetry(
  deps: Deps,
  target: HomeTarget,
  builtAt: Date,
  tried: ReadonlySet<string | undefined>,
): Promise<string | undefined> {
  const latest = await deps.stores.homeViewers
    .get(target.teamId, target.userId)
    .catch(() => undefined);
  if (latest?.hash !== undefined && !tried.has(latest.hash)) {
    const builtBefore = latest.builtAt !== undefined && latest.builtAt <= builtAt.toISOString();
    return builtBefore ? latest.hash : undefined;
  }
  return target.hash !== undefined && !tried.has(target.hash) ? target.hash : undefined;
}
