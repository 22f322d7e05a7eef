import type { Deps } from '../../deps-types';
import { removeDestination } from '../../destinations/changes';

/** An uninstalled workspace's saved destinations wait 30 days for a re-install. */
export const DEFAULT_UNINSTALL_RETENTION_MS = 30 * 86_400_000;

/** What became of a workspace that has saved destinations but no installation. */
export type PurgeOutcome = 'not_uninstalled' | 'kept' | 'purged';

/**
 * Purges the saved destinations of a workspace the app was uninstalled from, once the retention
 * is over: each is removed as `remove` would (the loader hears `destination.removed`; its check
 * history goes), the audit trail says so, and the uninstall mark goes with them. A workspace with
 * no mark (never installed through OAuth, or a mark lost) is left alone. The monitor calls this on
 * its sweep, so one replica purges, once.
 */
export async function purgeIfDue(deps: Deps, teamId: string): Promise<PurgeOutcome> {
  const installations = deps.oauth?.installations;
  if (!installations) return 'not_uninstalled';
  const mark = await installations.uninstalled(teamId);
  if (!mark) return 'not_uninstalled';
  const retentionMs = deps.settings.uninstallRetentionMs ?? DEFAULT_UNINSTALL_RETENTION_MS;
  const since = Date.parse(mark.at);
  if (deps.now().getTime() - since < retentionMs) return 'kept';
  // Installed again meanwhile: the mark is gone, or the installation is back.
  if (await installations.forTeam(teamId)) return 'not_uninstalled';
  const destinations = await deps.stores.destinations.list(teamId);
  for (const destination of destinations) {
    await removeDestination(deps, {
      teamId,
      bucket: destination.settings.bucket,
      actor: 'uninstall',
      outcome: `purged: the app was uninstalled on ${mark.at.slice(0, 10)}`,
    });
  }
  deps.logger.info(
    { teamId, purged: destinations.length, uninstalledAt: mark.at },
    'purged the saved destinations of an uninstalled workspace',
  );
  await installations.clearUninstalled(teamId);
  return 'purged';
}
