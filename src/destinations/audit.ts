import type { Logger } from '../log/logger';
import type { AuditAction, AuditStore } from '../store/audit';

/** Who did what to a destination, as its audit entry says it. */
export interface AuditNote {
  readonly actor: string;
  readonly action: AuditAction;
  readonly bucket: string;
  readonly outcome: string;
}

/**
 * Appends to the workspace's audit trail. The trail is history, not state: a failure to append is
 * logged and never undoes or hides what happened.
 */
export async function audit(
  deps: { readonly stores: { readonly audit: AuditStore }; readonly now: () => Date },
  log: Logger,
  teamId: string,
  entry: AuditNote,
): Promise<void> {
  try {
    await deps.stores.audit.append(teamId, { at: deps.now().toISOString(), ...entry });
  } catch (error) {
    log.warn({ err: error, teamId, action: entry.action }, 'could not append to the audit trail');
  }
}
