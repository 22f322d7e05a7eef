import type { Deps } from '../deps';
import { AppError } from '../errors';
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
  deps: Pick<Deps, 'stores'>,
  teamId: string,
  bucket: string,
  work: () => Promise<T>,
): Promise<T> {
  const run = await withLockWaiting(
    deps.stores.locks,
    announceLockKey(teamId, bucket),
    ANNOUNCE_LOCK_TTL_MS,
    ANNOUNCE_WAIT_MS,
    work,
  );
  if (!run.held) throw new AnnouncementBusyError();
  return run.value;
}
