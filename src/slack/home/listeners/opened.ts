import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { requestLogger } from '../../context';
import { publishHome } from '../publisher';

/**
 * Opening the App Home shows a user an already fresh view: one published less than this long ago
 * is left as it is (a change since then is refreshed by its own round).
 */
const FRESH_VIEW_MS = 3000;

/**
 * `app_home_opened` on the Home tab: publishes the workspace's destinations for that user, who
 * is remembered as a recent viewer, so that their view follows changes for a while.
 */
export function register(app: App, deps: Deps): void {
  app.event('app_home_opened', async ({ event, body, client, context }) => {
    if (event.tab !== 'home') return;
    const log = requestLogger(deps, context);
    const teamId = body.team_id ?? context.teamId;
    if (!teamId) return;
    const userId = event.user;
    // The view the user has now, if the app published one before: Slack's hash of it.
    const shownHash = (event.view as { hash?: unknown } | undefined)?.hash;
    const hash = typeof shownHash === 'string' ? shownHash : undefined;
    await deps.tasks.run(
      async () => {
        const known = await deps.stores.homeViewers.get(teamId, userId).catch(() => undefined);
        const builtAt = known?.builtAt === undefined ? NaN : Date.parse(known.builtAt);
        const fresh =
          hash !== undefined &&
          hash === known?.hash &&
          deps.now().getTime() - builtAt < FRESH_VIEW_MS;
        if (fresh && known) {
          // Still remembered as looking, without publishing the same view again.
          await deps.stores.homeViewers.opened(teamId, {
            ...known,
            channelId: event.channel,
            openedAt: deps.now().toISOString(),
          });
          return;
        }
        await publishHome(
          deps,
          {
            teamId,
            userId,
            client,
            token: context.botToken,
            channelId: event.channel,
            ...(hash ? { hash } : {}),
            opened: true,
          },
          log,
        );
      },
      (error) => log.warn({ err: error }, 'App Home: app_home_opened failed'),
    );
  });
}
