import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { FIELD } from '../../ids';
import type { ModalUpdates } from '../../modal-updates';
import type { BlockActionArgs } from '../../block-actions';
import { updateSetupModal } from '../../workflows/update-setup-modal';

/**
 * The key template, as the user types: the modal is rebuilt with the preview of the new template,
 * or its first problem. Submit still validates everything.
 */
export function register(app: App, deps: Deps, modals: ModalUpdates): void {
  app.action(FIELD.keyTemplate, async (args: BlockActionArgs) => {
    await args.ack();
    await updateSetupModal(deps, args, modals);
  });
}
