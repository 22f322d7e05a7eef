import { webApi } from '@slack/bolt';
import type { Installations } from './oauth/installations';

/**
 * The Web API client that speaks for a workspace, for work no request started (the monitor's
 * alerts and recoveries): undefined when the app is not installed there any more.
 */
export interface TeamClients {
  forTeam(teamId: string): Promise<webApi.WebClient | undefined>;
}

/** One workspace, one bot token: the app's own client serves every team. */
export function singleWorkspaceClients(client: webApi.WebClient): TeamClients {
  return { forTeam: async () => client };
}

/** How many per-token clients are kept; an older one is made again when needed. */
const MAX_CLIENTS = 500;

/**
 * Many workspaces: each team's token comes from its installation (refreshed there when it is about
 * to expire), and the client is built like the app's own (`options`).
 */
export function installedWorkspaceClients(
  installations: Pick<Installations, 'forTeam'>,
  options: webApi.WebClientOptions,
): TeamClients {
  const clients = new Map<string, webApi.WebClient>();
  return {
    async forTeam(teamId) {
      const token = (await installations.forTeam(teamId))?.bot?.token;
      if (!token) return undefined;
      let client = clients.get(token);
      if (!client) {
        if (clients.size >= MAX_CLIENTS) clients.delete(clients.keys().next().value as string);
        client = new webApi.WebClient(token, options);
        clients.set(token, client);
      }
      return client;
    },
  };
}
