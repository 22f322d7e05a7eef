import type { OAuthStores } from '../../deps-types';
import type { Logger } from '../../log/logger';
import type { OAuthStorage, SecretSealer } from '../../store/installations';
import type { LockStore } from '../../store/types';
import { WorkspaceAdmins } from '../admins/workspace-admins';
import type { OAuthCredentials } from './install';
import { Installations } from './installations';
import { slackTokenCheck, slackTokenRefresher } from './slack-tokens';
import { SignedStateStore } from './state-store';

/** The `OAuthStores` the app receives in OAuth mode, as built here. */
export interface BuiltOAuthStores extends OAuthStores {
  readonly installations: Installations;
  readonly admins: WorkspaceAdmins;
}

export interface OAuthStoresOptions {
  /** Where installations, used install states and added admins are kept. */
  readonly storage: OAuthStorage;
  readonly keyring: SecretSealer;
  readonly locks: LockStore;
  readonly credentials: OAuthCredentials;
  /** Web API base; Slack's own when unset. */
  readonly apiUrl?: string;
  readonly logger: Logger;
  readonly now?: () => Date;
  /** Refresh a rotating token this long before it expires; default 2 hours. */
  readonly refreshBeforeSeconds?: number;
}

/** Installations, the install flow's state and the workspaces' admins, over the OAuth storage. */
export function createOAuthStores(options: OAuthStoresOptions): BuiltOAuthStores {
  const { storage } = options;
  return {
    installations: new Installations(storage.installations, options.keyring, {
      locks: options.locks,
      refresh: slackTokenRefresher(options.credentials, options.apiUrl, options.logger),
      checkToken: slackTokenCheck(options.apiUrl, options.logger),
      logger: options.logger,
      now: options.now ?? (() => new Date()),
      ...(options.refreshBeforeSeconds !== undefined
        ? { refreshBeforeSeconds: options.refreshBeforeSeconds }
        : {}),
    }),
    stateStore: new SignedStateStore(storage.usedStates, options.credentials.stateSecret),
    admins: new WorkspaceAdmins(storage.addedAdmins),
  };
}
