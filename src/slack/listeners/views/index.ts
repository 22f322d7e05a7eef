import type { App } from '@slack/bolt';
import type { Deps } from '../../../deps-types';
import { register as registerResetupConfirmation } from './resetup-confirmation';
import { register as registerSetupSubmission } from './setup-submission';

/** Registers every view submission handler: the setup modal and its re-setup confirmation. */
export function register(app: App, deps: Deps): void {
  registerSetupSubmission(app, deps);
  registerResetupConfirmation(app, deps);
}
