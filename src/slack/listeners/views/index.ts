import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps';
import { register as registerSetupSubmission } from './setup-submission';

/** Registers every view submission handler. */
export function register(app: App, deps: Deps): void {
  registerSetupSubmission(app, deps);
}
