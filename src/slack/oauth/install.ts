import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InstallationStore, InstallProviderOptions } from '@slack/bolt';
import type { Deps } from '../../deps-types';
import { BOT_SCOPES } from '../scopes';
import { installFailed, installPage, installSucceeded, installUnavailable } from './pages';
import { MissingSettingError } from '../../errors';

/** The app's credentials for many workspaces (SLACK_CLIENT_ID, _SECRET, SLACK_STATE_SECRET). */
export interface OAuthCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly stateSecret: string;
}

/** What Bolt's receivers take to serve `/slack/install` and `/slack/oauth_redirect`. */
export interface InstallerSettings {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly stateSecret: string;
  readonly scopes: string[];
  readonly installationStore: InstallationStore;
  readonly installerOptions: {
    readonly stateStore: NonNullable<InstallProviderOptions['stateStore']>;
    readonly stateVerification: true;
    readonly clientOptions?: { readonly slackApiUrl?: string };
    readonly renderHtmlForInstallPath: (url: string) => string;
    readonly callbackOptions: {
      readonly afterInstallation: (
        installation: unknown,
        options: unknown,
        req: IncomingMessage,
      ) => Promise<boolean>;
      readonly success: typeof installSucceeded;
      readonly failure: typeof installFailed;
    };
    readonly installPathOptions: {
      readonly beforeRedirection: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
    };
  };
}

/**
 * Bolt's OAuth, with the installations and the state in Redis (any replica finishes an install
 * another began; Bolt's state cookie check stays on) and pages a person understands, never a 5xx
 * for a failed install (Bolt's default failure page answers 500).
 */
export function installerOptions(
  deps: Deps,
  credentials: OAuthCredentials,
  slackApiUrl: string | undefined,
): InstallerSettings {
  const { oauth } = deps;
  if (!oauth)
    throw new MissingSettingError(
      'OAuth mode needs the installation store (REDIS_URL and STORE_ENCRYPTION_KEY)',
    );
  return {
    ...credentials,
    scopes: [...BOT_SCOPES],
    installationStore: oauth.installations.boltStore(),
    installerOptions: {
      stateStore: oauth.stateStore,
      stateVerification: true,
      // oauth.v2.access goes to the same Web API base as every other call.
      clientOptions: { slackApiUrl },
      renderHtmlForInstallPath: installPage,
      callbackOptions: {
        // Slack has accepted the code (a code works once there too): only now is the state
        // marked used, so a callback with a made-up code writes nothing. A state used meanwhile
        // throws, and the failure page says so; nothing is stored.
        afterInstallation: async (_installation, _options, req) => {
          await oauth.stateStore.markUsed(stateOf(req), new Date());
          return true;
        },
        success: installSucceeded,
        failure: installFailed,
      },
      installPathOptions: {
        // The install cannot finish without Redis (its state is marked used there, the
        // installation kept): say so before the person is sent to Slack. A PING writes nothing.
        beforeRedirection: async (_req, res) => {
          if (await deps.stores.health.ping()) return true;
          installUnavailable(res);
          return false;
        },
      },
    },
  };
}

/** The `state` parameter of the callback's URL (Bolt checked it before the code was exchanged). */
function stateOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://localhost').searchParams.get('state') ?? '';
}

/**
 * A request from a workspace without an installation is acknowledged by Bolt and reaches no
 * listener: said once per workspace (per process), not on every retry.
 */
export function notInstalledReporter(deps: Deps): (body: unknown) => void {
  const told = new Set<string>();
  return (body) => {
    const team = teamOfBody(body) ?? 'unknown';
    if (told.has(team)) return;
    if (told.size > 10000) told.clear();
    told.add(team);
    deps.logger.warn(
      { teamId: team },
      'ignored a request from a workspace where the app is not installed',
    );
  };
}

function teamOfBody(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as { team_id?: unknown; team?: { id?: unknown }; enterprise_id?: unknown };
  const team = record.team_id ?? record.team?.id ?? record.enterprise_id;
  return typeof team === 'string' ? team : undefined;
}
