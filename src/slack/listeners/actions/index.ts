import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { ModalUpdates } from '../../modal-updates';
import { register as registerAccessToggle } from './access-toggle';
import { register as registerCancelRemove } from './cancel-remove';
import { register as registerCheckAndSave } from './check-and-save';
import { register as registerConfirmRemove } from './confirm-remove';
import { register as registerFormatToggle } from './format-toggle';
import { register as registerKeyPreview } from './key-preview';
import { register as registerListPage } from './list-page';
import { register as registerUseBucketRegion } from './use-bucket-region';

/**
 * Registers every block action: format and access toggles and key preview (which update the setup
 * modal one at a time), Check and Save, the region fix, Remove / Cancel and list pages. The App
 * Home's buttons are registered with the App Home (slack/home/listeners/).
 */
export function register(app: App, deps: Deps): void {
  const setupModals = new ModalUpdates();
  registerFormatToggle(app, deps, setupModals);
  registerAccessToggle(app, deps, setupModals);
  registerKeyPreview(app, deps, setupModals);
  registerCheckAndSave(app, deps);
  registerUseBucketRegion(app, deps);
  registerConfirmRemove(app, deps);
  registerCancelRemove(app, deps);
  registerListPage(app, deps);
}
