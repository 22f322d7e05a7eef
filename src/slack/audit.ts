import type { Deps } from '../deps';
import type { Logger } from '../log/logger';
import type { AuditAction } from '../store/audit';

/**
 * Appends to the workspace's audit trail. The trail is history, not state: a failure to append is
 * logged and never undoes or hides what happened.
 */
export async function audit(
  deps: Pick<Deps, 'stores' | 'now'>,
  log: Logger,
  teamId: string,
  entry: { actor: string; action: AuditAction; bucket: string; outcome: string },
): Promise<void> {
  try {
    await deps.stores.audit.append(teamId, { at: deps.now().toISOString(), ...entry });
  } catch (error) {
    log.warn({ err: error, teamId, action: entry.action }, 'could not append to the audit trail');
  }
}
