import { randomUUID } from 'node:crypto';
import { AppError } from '../errors';
import type { Logger } from '../log/logger';
import type { AuditStore } from '../store/audit';
import type { CheckHistoryStore } from '../store/check-history';
import { announceLockKey } from '../store/keys';
import { withLockWaiting } from '../store/lock-watchdog';
import type {
  ChangeStamp,
  CheckRecord,
  DestinationDraft,
  DestinationStore,
  Fence,
  LockStore,
  RecordOutcome,
  RecordResult,
  RemoveOutcome,
  SavedDestination,
  SaveOutcome,
} from '../store/types';
import { audit, type AuditNote } from './audit';

/** Long enough for a record and one Slack post; renewed while they run. */
const CHANGE_LOCK_TTL_MS = 10_000;
/** How long a change waits for another change of the same destination to be told. */
const CHANGE_WAIT_MS = 15_000;

/** Where each appended change event is said, so that it leaves for the loader at once. */
export interface ChangeFeed {
  changed(teamId: string): void;
}

/** What the change path needs: the stores it writes, a log for what it cannot write, a clock. */
export interface ChangePathDeps {
  readonly stores: {
    readonly destinations: DestinationStore;
    readonly locks: LockStore;
    readonly audit: AuditStore;
    readonly history: CheckHistoryStore;
  };
  readonly logger: Logger;
  readonly now: () => Date;
  /** None: the store keeps no outbox, or nothing relays it. */
  readonly changeFeed?: ChangeFeed;
}

/** Another change of the destination held its lock for longer than anyone should. */
export class ChangeBusyError extends AppError {
  constructor() {
    super('change_busy', 'Another change of this destination is still being recorded');
  }
}

/**
 * Runs `work` (one change of one destination, and telling the team) while no other change of that
 * destination does the same, so that the team hears the changes in the order they were made.
 */
async function underDestinationLock<T>(
  deps: ChangePathDeps,
  teamId: string,
  bucket: string,
  work: () => Promise<T>,
): Promise<T> {
  const run = await withLockWaiting(
    deps.stores.locks,
    announceLockKey(teamId, bucket),
    CHANGE_LOCK_TTL_MS,
    CHANGE_WAIT_MS,
    work,
  );
  if (!run.held) throw new ChangeBusyError();
  return run.value;
}

function stampOf(deps: ChangePathDeps): ChangeStamp {
  return { id: randomUUID(), at: deps.now().toISOString() };
}

/** The change's event, appended with it by the store, leaves now rather than at the next sweep. */
function feed(deps: ChangePathDeps, teamId: string, change: { sequence?: number } | undefined) {
  if (change?.sequence !== undefined) deps.changeFeed?.changed(teamId);
}

export type SavedChange = Extract<SaveOutcome, { status: 'saved' }>;

export interface SaveRequest {
  readonly draft: DestinationDraft;
  /** The Check and Save lock: a save whose lock was lost meanwhile is refused (`fenced`). */
  readonly fence?: Fence;
  /** Who pressed Check and Save: named in the audit trail. */
  readonly actor: string;
  /** Runs under the destination's lock once it is saved, audited and in its history. */
  readonly announce?: (saved: SavedChange) => Promise<void>;
}

/**
 * Saves a destination that passed its checks: the one path of Check and Save. A bucket connected
 * anew starts a new check history; set up again, it carries on with its own. Resolves with what
 * changed (the new destination, the one it replaced, the event), or `fenced`.
 */
export async function saveDestination(
  deps: ChangePathDeps,
  { draft, fence, actor, announce }: SaveRequest,
): Promise<SaveOutcome> {
  const { teamId } = draft;
  const { bucket } = draft.settings;
  const log = deps.logger;
  const outcome = await underDestinationLock(deps, teamId, bucket, async () => {
    const saved = await deps.stores.destinations.save(draft, fence, stampOf(deps));
    if (saved.status === 'fenced') return saved;
    const { summary, at, ok } = saved.destination.lastCheck;
    // Saved: the trail, the history (anew for a bucket connected anew) and the team hear of it
    // together, still under the lock; neither the trail nor the history can fail the save.
    await Promise.all([
      audit(deps, log, teamId, {
        actor,
        action: 'check_and_save',
        bucket,
        outcome: saved.previous ? `updated: ${summary}` : summary,
      }),
      deps.stores.history
        .append(teamId, bucket, { at, ok }, !saved.previous)
        .catch((error: unknown) =>
          log.warn({ err: error, teamId, bucket }, 'could not add the check to its history'),
        ),
      announce?.(saved),
    ]);
    return saved;
  });
  if (outcome.status === 'saved') feed(deps, teamId, outcome.change);
  return outcome;
}

export interface RecordRequest {
  /** The destination as it was read before the check: the record applies to its version only. */
  readonly destination: SavedDestination;
  readonly record: CheckRecord;
  /** The audit entry for how the record ended; none: not audited here. */
  readonly audit?: (outcome: RecordOutcome) => AuditNote | undefined;
  /**
   * Tells the team, under the destination's lock, once recorded; may return what Slack's answer
   * changes on the destination (its channel unreachable, an announcement still owed). Without it,
   * no lock is taken: the record and its event are one atomic step anyway.
   */
  readonly announce?: (recorded: RecordResult) => Promise<CheckRecord | undefined>;
}

/**
 * Records a check of a saved destination (compare-and-set on the version checked, so a destination
 * removed or set up again meanwhile is left alone) and, in the same store step, adds it to the
 * destination's history: the one path of `verify`, the App Home's Check now and the monitor. When
 * the last check went from passing to failing or back, the result names the change, whose event
 * the store appended.
 */
export async function recordCheck(
  deps: ChangePathDeps,
  request: RecordRequest,
): Promise<RecordResult> {
  const { destination, record } = request;
  const { teamId } = destination;
  const { bucket } = destination.settings;
  const { announce } = request;
  const work = async (): Promise<RecordResult> => {
    const result = await deps.stores.destinations.record(
      teamId,
      bucket,
      destination.version,
      record,
      stampOf(deps),
    );
    const note = request.audit?.(result.outcome);
    if (note) await audit(deps, deps.logger, teamId, note);
    if (result.outcome === 'recorded' && announce) {
      const told = await announce(result);
      // What Slack said changes nothing the loader reads: no event, whatever it records.
      if (told) await deps.stores.destinations.record(teamId, bucket, destination.version, told);
    }
    return result;
  };
  const result = announce ? await underDestinationLock(deps, teamId, bucket, work) : await work();
  feed(deps, teamId, result.change);
  return result;
}

export interface RemoveRequest {
  readonly teamId: string;
  readonly bucket: string;
  /** A Slack user id, or `uninstall` for a purge. */
  readonly actor: string;
  /** The audit entry's outcome when this call removed it; default `removed`. */
  readonly outcome?: string;
  /** Runs under the destination's lock once it is removed (or found already gone). */
  readonly announce?: (removed: RemoveOutcome) => Promise<void>;
}

/**
 * Removes a saved destination and its check history: the one path of `remove`, the App Home's
 * Remove and the uninstall purge. Audited whether or not it was still there.
 */
export async function removeDestination(
  deps: ChangePathDeps,
  { teamId, bucket, actor, outcome, announce }: RemoveRequest,
): Promise<RemoveOutcome> {
  const log = deps.logger;
  const removed = await underDestinationLock(deps, teamId, bucket, async () => {
    const result = await deps.stores.destinations.remove(teamId, bucket, stampOf(deps));
    if (result.removed) {
      await deps.stores.history
        .clear(teamId, bucket)
        .catch((error: unknown) =>
          log.warn({ err: error, teamId, bucket }, 'could not clear the check history'),
        );
    }
    await audit(deps, log, teamId, {
      actor,
      action: 'remove',
      bucket,
      outcome: result.removed ? (outcome ?? 'removed') : 'already removed',
    });
    await announce?.(result);
    return result;
  });
  feed(deps, teamId, removed.change);
  return removed;
}
