import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { register as registerAppHomeOpened } from './app-home-opened';
import { register as registerUninstall } from './uninstall';

/** Registers every Events API listener: the App Home, and the app leaving a workspace. */
export function register(app: App, deps: Deps): void {
  registerAppHomeOpened(app, deps);
  registerUninstall(app, deps);
}
