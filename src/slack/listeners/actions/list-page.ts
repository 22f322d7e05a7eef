import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { requestLogger } from '../../context';
import { ACTION } from '../../ids';
import { postToResponseUrl } from '../../messaging';
import { describeFailure } from '../../user-errors';
import { notice } from '../../views/check-result';
import { destinationListPage } from '../../workflows/destination-list-page';
import { actionTeamId, buttonValue, type BlockActionArgs } from '../../block-actions';

const MAX_PAGE = 10_000;

/** The Previous / Next buttons of `list`: the same ephemeral message shows another page. */
export function register(app: App, deps: Deps): void {
  app.action(ACTION.listPage, async (args: BlockActionArgs) => {
    await args.ack();
    const log = requestLogger(deps, args.context);
    const teamId = actionTeamId(args);
    const raw = buttonValue(args) ?? '';
    const page = /^\d{1,5}$/.test(raw) ? Math.min(Number(raw), MAX_PAGE) : 0;
    const responseUrl = args.body.response_url;
    if (!teamId) {
      await postToResponseUrl(
        responseUrl,
        notice('This button is not valid any more.'),
        'replace',
        log,
      );
      return;
    }
    try {
      const message = await destinationListPage(deps, teamId, page);
      await postToResponseUrl(responseUrl, message, 'replace', log);
    } catch (error) {
      log.error({ err: error }, 'list page failed');
      await postToResponseUrl(responseUrl, notice(describeFailure(error, '')), 'ephemeral', log);
    }
  });
}
