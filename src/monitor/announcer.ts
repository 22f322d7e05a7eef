import type { CheckRecord, SavedDestination } from '../store/types';
import type { VerificationReport } from '../verify/report';

/** What telling a workspace about one of its destinations did. */
export interface Told {
  /** Whether the team (or, when its channel cannot be posted to, the connector) was told. */
  readonly told: boolean;
  /** What Slack's answer changes on the destination: its channel unreachable, a change still owed. */
  readonly record?: CheckRecord;
}

/** How the monitor speaks to one workspace. */
export interface WorkspaceVoice {
  /** Tells the destination's channel that it stopped passing its checks, or passes them again. */
  tell(destination: SavedDestination, report: VerificationReport): Promise<Told>;
  /** The App Homes people are looking at follow a change (throttled per team). */
  homeChanged(): void;
}

/** Where a workspace the app is no longer installed in stands. */
export type UnwatchedOutcome = 'not_uninstalled' | 'kept' | 'purged';

/**
 * Everything the monitor needs from the Slack side, so that it never reaches into it: a voice per
 * workspace, and the purge of a workspace uninstalled past its retention.
 */
export interface MonitorAnnouncer {
  /** The workspace's voice, or undefined when the app is not installed there (any more). */
  voiceFor(teamId: string): Promise<WorkspaceVoice | undefined>;
  /** Purges an uninstalled workspace's destinations once its retention is over. */
  purgeIfDue(teamId: string): Promise<UnwatchedOutcome>;
}
