import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import type { UninstallMark } from '../../oauth/installations';

interface EnvelopeIds {
  readonly team_id?: string;
  readonly enterprise_id?: string;
  /** When Slack says the event happened (epoch seconds): a retry keeps the first time. */
  readonly event_time?: number;
}

/**
 * `app_uninstalled` and `tokens_revoked` (for the bot's token): the workspace's installation and
 * setup sessions go, its saved destinations stay for a re-install until the retention is over
 * (src/slack/oauth/purge.ts). Idempotent, in either order: Slack sends both, and may resend.
 * Bolt calls these listeners without authorizing them: the installation may be gone already. An
 * event that cannot be proven to be about the current installation (older than it, or within
 * minutes of it while Slack still accepts its token) is about an earlier one: ignored.
 */
export function register(app: App, deps: Deps): void {
  const forget = async (
    body: EnvelopeIds,
    isEnterpriseInstall: boolean,
    reason: UninstallMark['reason'],
  ) => {
    const installations = deps.oauth?.installations;
    const owner = {
      teamId: body.team_id,
      enterpriseId: body.enterprise_id,
      isEnterpriseInstall,
    };
    if (!installations) {
      deps.logger.info({ ...owner, reason }, 'the app was uninstalled from the workspace');
      return;
    }
    const eventTime =
      typeof body.event_time === 'number' ? new Date(body.event_time * 1000) : undefined;
    const deleted = await installations.forget(owner, reason, eventTime);
    deps.logger.info(
      { ...owner, reason, deleted },
      deleted
        ? 'the app was uninstalled: installation and setup sessions deleted, saved destinations kept for a re-install'
        : 'the app was uninstalled: nothing deleted (none left, or the event is about an earlier installation)',
    );
  };

  app.event('app_uninstalled', async ({ body, context }) => {
    await forget(body as EnvelopeIds, context.isEnterpriseInstall === true, 'app_uninstalled');
  });

  app.event('tokens_revoked', async ({ body, event, context }) => {
    // Only the bot's token matters: the app asks for no user token.
    if ((event.tokens.bot ?? []).length === 0) return;
    await forget(body as EnvelopeIds, context.isEnterpriseInstall === true, 'tokens_revoked');
  });
}
