import type { Deps } from '../../deps-types';
import { bucketNameProblems } from '../../domain/bucket-name';
import type { Logger } from '../../log/logger';
import { actionTeamId, type BlockActionArgs } from '../block-actions';
import { requestLogger } from '../context';
import { publishHome } from './publisher';
import { parseHomeMetadata } from './view';

/** A button of the App Home, as far as the App Home's own listeners need it. */
export interface HomeClick {
  readonly teamId: string;
  readonly userId: string;
  readonly log: Logger;
  /** Publishes the user's App Home again (what the stores hold now), with a notice on top. */
  republish(notice?: string, page?: number): Promise<unknown>;
}

/** What every App Home button's listener needs; undefined when the click names no workspace. */
export function homeClick(deps: Deps, args: BlockActionArgs): HomeClick | undefined {
  const { body, client, context } = args;
  const teamId = actionTeamId(args);
  if (!teamId) return undefined;
  const userId = body.user.id;
  const log = requestLogger(deps, context);
  const view = body.view as { private_metadata?: string; hash?: string } | undefined;
  const metadata = parseHomeMetadata(view?.private_metadata);
  return {
    teamId,
    userId,
    log,
    republish: (notice, page) =>
      publishHome(
        deps,
        {
          teamId,
          userId,
          client,
          token: context.botToken,
          ...(metadata?.channelId ? { channelId: metadata.channelId } : {}),
          page: page ?? metadata?.page ?? 0,
          ...(view?.hash ? { hash: view.hash } : {}),
          ...(notice ? { notice } : {}),
          opened: true,
        },
        log,
      ),
  };
}

/** What a stale or forged App Home button is answered. */
export const HOME_BUTTON_NOT_VALID = 'This button is not valid any more.';

/** The bucket a Check now or Remove button names, if it is a bucket name at all. */
export function homeButtonBucket(value: string | undefined): string | undefined {
  return value !== undefined && bucketNameProblems(value).length === 0 ? value : undefined;
}
