import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { register as registerAdmins } from './admins';
import { register as registerOpened } from './opened';
import { register as registerPage } from './page';
import { register as registerRemove } from './remove';
import { register as registerSetup } from './setup';
import { register as registerVerify } from './verify';

/**
 * Registers the App Home's listeners: the tab opened (`app_home_opened`), and its buttons (Set up,
 * Check now, Remove, the pages) and its Admins picker.
 */
export function register(app: App, deps: Deps): void {
  registerOpened(app, deps);
  registerSetup(app, deps);
  registerVerify(app, deps);
  registerRemove(app, deps);
  registerPage(app, deps);
  registerAdmins(app, deps);
}
