import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { buttonValue, type BlockActionArgs } from '../../block-actions';
import { requestLogger } from '../../context';
import { ACTION } from '../../ids';
import { postToResponseUrl } from '../../messaging';
import { notice } from '../../views/check-result';
import { inlineCode } from '../../views/mrkdwn';
import { parseRemoveButtonValue } from '../../views/remove-confirmation';

/** The Cancel button of `/s3-destination remove`: the confirmation says nothing was removed. */
export function register(app: App, deps: Deps): void {
  app.action(ACTION.cancelRemove, async (args: BlockActionArgs) => {
    await args.ack();
    const log = requestLogger(deps, args.context);
    const value = parseRemoveButtonValue(buttonValue(args));
    const text = value
      ? `Kept ${inlineCode(value.bucket)}. Nothing was removed.`
      : 'Nothing was removed.';
    await postToResponseUrl(args.body.response_url, notice(text), 'replace', log);
  });
}
