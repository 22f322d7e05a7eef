import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps';
import { register as registerAppHomeOpened } from './app-home-opened';

/** Registers every Events API listener: the App Home. */
export function register(app: App, deps: Deps): void {
  registerAppHomeOpened(app, deps);
}
