import type { webApi } from '@slack/bolt';
import type { Deps } from '../deps-types';
import type { MonitorAnnouncer, Told, WorkspaceVoice } from '../monitor/announcer';
import type { SavedDestination } from '../store/types';
import type { VerificationReport } from '../verify/report';
import { homeChanged } from './home/refresh';
import { slackErrorCode, tryPostInChannel } from './messaging';
import { purgeIfDue } from './oauth/purge';
import { singleWorkspaceClients, type TeamClients } from './team-clients';
import {
  buildMonitorAlert,
  buildRecoveryNotice,
  buildUnreachableChannelNotice,
} from './views/monitor-alert';

/** Slack's answers that mean the channel cannot be posted to until someone changes something. */
const UNPOSTABLE_CHANNEL_ERRORS = new Set([
  'not_in_channel',
  'channel_not_found',
  'is_archived',
  'missing_scope',
]);

/**
 * The monitor's voice in Slack: each workspace's alerts and recoveries posted with its own token,
 * in the destination's channel, or to the person who connected it when the channel cannot be
 * posted to.
 */
export function createMonitorAnnouncer(
  deps: Deps,
  slack: TeamClients | webApi.WebClient,
): MonitorAnnouncer {
  const clients = 'forTeam' in slack ? slack : singleWorkspaceClients(slack);
  return {
    async voiceFor(teamId) {
      const client = await clients.forTeam(teamId);
      return client && workspaceVoice(deps, teamId, client);
    },
    purgeIfDue: (teamId) => purgeIfDue(deps, teamId),
  };
}

function workspaceVoice(deps: Deps, teamId: string, client: webApi.WebClient): WorkspaceVoice {
  return {
    tell: (destination, report) => tell(deps, client, destination, report),
    homeChanged: () => homeChanged(deps, teamId, client),
  };
}

async function tell(
  deps: Deps,
  client: webApi.WebClient,
  destination: SavedDestination,
  report: VerificationReport,
): Promise<Told> {
  const message = report.ok
    ? buildRecoveryNotice(destination)
    : buildMonitorAlert(destination, report, deps.settings.identityProven);
  const post = await tryPostInChannel(
    { client, channelId: destination.channelId, metrics: deps.metrics },
    message,
    deps.logger,
  );
  if (post.posted) {
    return destination.channelUnreachable || destination.unannounced
      ? { told: true, record: { channelUnreachable: null, unannounced: null } }
      : { told: true };
  }
  if (post.slackError && UNPOSTABLE_CHANNEL_ERRORS.has(post.slackError)) {
    // Recorded all the same, so the next round does not try this post again until the state
    // changes; the connector hears it directly, and `list` shows the channel as unreachable.
    await tellConnector(deps, client, destination, post.slackError, message);
    return {
      told: true,
      record: {
        channelUnreachable: {
          since: destination.channelUnreachable?.since ?? deps.now().toISOString(),
          error: post.slackError,
        },
        unannounced: null,
      },
    };
  }
  // Slack itself failed: marked, so that the next round announces the change again.
  return { told: false, record: { unannounced: true } };
}

async function tellConnector(
  deps: Deps,
  client: webApi.WebClient,
  destination: SavedDestination,
  slackError: string,
  message: ReturnType<typeof buildMonitorAlert>,
): Promise<void> {
  const notice = buildUnreachableChannelNotice(destination, slackError, message);
  try {
    // A user id as the channel posts in the bot's direct message with that user.
    await client.chat.postMessage({
      channel: destination.connectedBy,
      text: notice.text,
      blocks: notice.blocks,
      unfurl_links: false,
    });
  } catch (error) {
    deps.logger.error(
      { err: error, slackError: slackErrorCode(error), teamId: destination.teamId },
      'monitor: could not tell the connector either',
    );
  }
}
