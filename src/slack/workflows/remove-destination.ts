import type { webApi } from '@slack/bolt';
import type { Deps } from '../../deps-types';
import { removeDestination } from '../../destinations/changes';
import type { Logger } from '../../log/logger';
import { homeChanged } from '../home/refresh';
import { postInChannel } from '../messaging';
import { buildRemovedNotice } from '../views/remove-confirmation';

/** Who removes which destination, and where the team hears of it. */
export interface RemoveRequest {
  readonly teamId: string;
  readonly bucket: string;
  readonly userId: string;
  readonly client: webApi.WebClient;
  readonly log: Logger;
  /** Where the team is told: where the confirmation was; the destination's own channel when unset. */
  readonly channelId?: string;
  readonly responseUrl?: string;
  /** The caller republishes their own App Home once this resolves: no refresh for them. */
  readonly republishesHome?: boolean;
}

/**
 * Removes a saved destination through the change path and tells the team under its lock: the one
 * workflow of `confirm_remove` and the App Home's Remove. Resolves whether this call removed it
 * (false: it was already gone); rejects when the store fails.
 */
export async function removeAndAnnounce(deps: Deps, request: RemoveRequest): Promise<boolean> {
  const { teamId, bucket, userId, client, log } = request;
  // Removed and told as one change: a check finishing meanwhile is told before, or not at all.
  const { removed } = await removeDestination(deps, {
    teamId,
    bucket,
    actor: userId,
    announce: async (outcome) => {
      const channelId = request.channelId ?? outcome.previous?.channelId;
      if (!outcome.removed || !channelId) return;
      await postInChannel(
        { client, channelId, responseUrl: request.responseUrl, metrics: deps.metrics },
        buildRemovedNotice(userId, bucket),
        log,
      );
    },
  });
  if (removed) homeChanged(deps, teamId, client, request.republishesHome ? { except: userId } : {});
  return removed;
}
