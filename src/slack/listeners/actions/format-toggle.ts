import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { OUTPUT_FORMATS } from '../../../domain/destination';
import { FIELD } from '../../ids';
import type { ModalUpdates } from '../../modal-updates';
import type { BlockActionArgs } from '../../block-actions';
import { updateSetupModal } from '../../workflows/update-setup-modal';

/** The format radio: show the CSV options only while CSV is selected, keeping what was typed. */
export function register(app: App, deps: Deps, modals: ModalUpdates): void {
  app.action(FIELD.format, async (args: BlockActionArgs) => {
    await args.ack();
    const selected = (args.action as { selected_option?: { value?: string } }).selected_option
      ?.value;
    const format = OUTPUT_FORMATS.find((candidate) => candidate === selected);
    await updateSetupModal(deps, args, modals, (draft) => {
      if (format) draft.format = format;
    });
  });
}
