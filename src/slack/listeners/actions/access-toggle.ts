import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { ACCESS_TYPES } from '../../../domain/access';
import { FIELD } from '../../ids';
import type { ModalUpdates } from '../../modal-updates';
import type { BlockActionArgs } from '../../block-actions';
import { updateSetupModal } from '../../workflows/update-setup-modal';

/** The access radio: show the role ARN input only while the IAM role is selected, keeping input. */
export function register(app: App, deps: Deps, modals: ModalUpdates): void {
  app.action(FIELD.accessType, async (args: BlockActionArgs) => {
    await args.ack();
    const selected = (args.action as { selected_option?: { value?: string } }).selected_option
      ?.value;
    const accessType = ACCESS_TYPES.find((candidate) => candidate === selected);
    await updateSetupModal(deps, args, modals, (draft) => {
      if (accessType) draft.accessType = accessType;
    });
  });
}
