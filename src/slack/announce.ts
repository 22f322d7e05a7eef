import { randomUUID } from 'node:crypto';
import { toApiDestination } from '../api/schemas';
import type { Deps } from '../deps';
import { AppError } from '../errors';
import { changeBetween } from '../events/change';
import type { SavedDestination } from '../store/types';
import { announceLockKey } from '../store/keys';
import { withLockWaiting } from '../store/lock-watchdog';

/** Long enough for a record and one Slack post; renewed while they run. */
const ANNOUNCE_LOCK_TTL_MS = 10_000;
/** How long a change waits for another change of the same destination to be told. */
const ANNOUNCE_WAIT_MS = 15_000;

/** Another change of the destination held its announcement for longer than anyone should. */
export class AnnouncementBusyError extends AppError {
  constructor() {
    super('announcement_busy', 'Another change of this destination is still being announced');
  }
}

/**
 * Runs `work` (record a change of one destination, then tell the team) while no other change of
 * that destination does the same, so that the team hears the changes in the order in which they
 * were recorded and the last thing it was told is what is saved.
 */
export async function whileAnnouncing<T>(
  deps: Pick<Deps, 'stores'> & Partial<Pick<Deps, 'outbox' | 'logger' | 'now'>>,
  teamId: string,
  bucket: string,
  work: () => Promise<T>,
): Promise<T> {
  const run = await withLockWaiting(
    deps.stores.locks,
    announceLockKey(teamId, bucket),
    ANNOUNCE_LOCK_TTL_MS,
    ANNOUNCE_WAIT_MS,
    deps.outbox ? () => recordingChange(deps, teamId, bucket, work) : work,
  );
  if (!run.held) throw new AnnouncementBusyError();
  return run.value;
}

/**
 * Runs `work` and puts the change it made to the destination, if any, in the outbox, still under
 * the announcement's lock: the loader's events come in the order the changes were recorded.
 */
async function recordingChange<T>(
  deps: Pick<Deps, 'stores'> & Partial<Pick<Deps, 'outbox' | 'logger' | 'now'>>,
  teamId: string,
  bucket: string,
  work: () => Promise<T>,
): Promise<T> {
  const read = () =>
    deps.stores.destinations
      .get(teamId, bucket)
      .catch(() => undefined as SavedDestination | undefined);
  const before = await read();
  try {
    return await work();
  } finally {
    // Also when telling the team failed: what was recorded is what the loader must hear.
    const after = await read();
    const type = changeBetween(before, after);
    const destination = after ?? before;
    if (type && destination && deps.outbox) {
      await deps.outbox
        .record({
          id: randomUUID(),
          type,
          occurred_at: (deps.now?.() ?? new Date()).toISOString(),
          destination: toApiDestination(destination),
        })
        .catch((error: unknown) =>
          deps.logger?.error(
            { err: error, teamId, bucket, type },
            'could not record a change event',
          ),
        );
    }
  }
}
