import type { webApi } from '@slack/bolt';
import type { Deps } from '../../deps-types';
import { servedPartitions } from '../../domain/principal';
import type { SetupMetadata } from '../metadata';
import { setupModalJson } from '../views/setup-modal';
import { callWebApi } from '../web-api';

// The trigger_id is good for 3 seconds; an answer later than that is no use.
const VIEWS_OPEN_TIMEOUT_MS = 3000;

/** Where the setup modal is opened from, and where its setup is then answered. */
export interface SetupModalRequest {
  readonly client: webApi.WebClient;
  readonly botToken: string | undefined;
  readonly triggerId: string;
  readonly metadata: SetupMetadata;
}

/**
 * Opens the setup modal with `views.open` at once (the trigger_id lives 3 seconds): the one way
 * of `/s3-destination setup` and the App Home's Set up. Rejects when Slack did not take it.
 */
export async function openSetupModal(deps: Deps, request: SetupModalRequest): Promise<void> {
  // The form is serialised once (setupModalJson): only the trigger and the metadata are new.
  const view = setupModalJson(request.metadata, servedPartitions(deps.settings.principals));
  await callWebApi(
    request.client,
    request.botToken,
    'views.open',
    `{"trigger_id":${JSON.stringify(request.triggerId)},"view":${view}}`,
    VIEWS_OPEN_TIMEOUT_MS,
  );
}
