import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps';
import { register as registerCheckAndSave } from './check-and-save';
import { register as registerFormatToggle } from './format-toggle';
import { register as registerListPage } from './list-page';
import { register as registerRemoveButtons } from './remove-buttons';

/** Registers every block action: format toggle, Check and Save, Remove / Cancel, list pages. */
export function register(app: App, deps: Deps): void {
  registerFormatToggle(app, deps);
  registerCheckAndSave(app, deps);
  registerRemoveButtons(app, deps);
  registerListPage(app, deps);
}
