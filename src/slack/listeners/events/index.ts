import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { register as registerUninstall } from './uninstall';

/** Registers the Events API listeners of the app leaving a workspace (the App Home's are its own). */
export function register(app: App, deps: Deps): void {
  registerUninstall(app, deps);
}
