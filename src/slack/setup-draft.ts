import type { AccessType } from '../domain/access';
import type { DestinationSettings } from '../domain/destination';

/**
 * Whatever the setup modal holds so far: the settings, and the access chosen (a role ARN may be
 * anything typed; it is checked on submit). Every input of a rebuilt modal starts from it.
 */
export type SetupDraft = Partial<Omit<DestinationSettings, 'access'>> & {
  accessType?: AccessType;
  roleArn?: string;
};
