import type { RedisClient } from '../redis-client';
import { RedisAddedAdminSets } from './added-admins';
import { RedisInstallationStorage } from './installation-storage';
import { RedisUsedInstallStates } from './install-states';
import type { AddedAdminSets, InstallationStorage, UsedInstallStates } from './types';

export * from './types';
export { RedisAddedAdminSets } from './added-admins';
export { RedisInstallationStorage } from './installation-storage';
export { RedisUsedInstallStates } from './install-states';

/** What many workspaces (OAuth mode) keep in Redis: installations, used states, added admins. */
export interface OAuthStorage {
  readonly installations: InstallationStorage;
  readonly usedStates: UsedInstallStates;
  readonly addedAdmins: AddedAdminSets;
}

/** OAuth mode's records over one Redis client (which the caller owns and closes). */
export function createOAuthStorage(redis: RedisClient): OAuthStorage {
  return {
    installations: new RedisInstallationStorage(redis),
    usedStates: new RedisUsedInstallStates(redis),
    addedAdmins: new RedisAddedAdminSets(redis),
  };
}
