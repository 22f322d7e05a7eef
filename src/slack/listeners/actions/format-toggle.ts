import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps';
import { OUTPUT_FORMATS } from '../../../domain/destination';
import { servedPartitions } from '../../../domain/principal';
import { requestLogger } from '../../context';
import { FIELD } from '../../ids';
import { slackErrorCode } from '../../messaging';
import { parseSetupMetadata } from '../../metadata';
import { readSetupDraft } from '../../setup-state';
import { buildSetupModal } from '../../views/setup-modal';
import type { BlockActionArgs } from './types';

/** The format radio: show the CSV options only while CSV is selected, keeping what was typed. */
export function register(app: App, deps: Deps): void {
  app.action(FIELD.format, async (args: BlockActionArgs) => {
    await args.ack();
    const { body, client } = args;
    const log = requestLogger(deps, args.context);
    const view = body.view;
    const metadata = parseSetupMetadata(view?.private_metadata);
    if (!view || !metadata) {
      log.warn('format toggle without a setup modal to update');
      return;
    }
    const draft = readSetupDraft(view.state?.values);
    const selected = (args.action as { selected_option?: { value?: string } }).selected_option
      ?.value;
    const format = OUTPUT_FORMATS.find((candidate) => candidate === selected);
    if (format) draft.format = format;
    try {
      await client.views.update({
        view_id: view.id,
        hash: view.hash,
        view: buildSetupModal(metadata, servedPartitions(deps.settings.principals), draft),
      });
    } catch (error) {
      // hash_conflict: a newer update already reached the modal; it is not ours to overwrite.
      if (slackErrorCode(error) !== 'hash_conflict')
        log.error({ err: error }, 'views.update failed');
    }
  });
}
