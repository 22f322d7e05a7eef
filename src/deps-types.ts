import type { InstallationStore, StateStore } from '@slack/bolt';
import type { DeliveryOutbox } from './events/delivery';
import type { EventRelay } from './events/relay';
import type { Principals } from './domain/principal';
import type { Logger } from './log/logger';
import type { Metrics } from './metrics/metrics';
import type { AnyInstallation, InstallationOwner, UninstallMark } from './store/installations';
import type { Stores } from './store';
import type { SessionIndex } from './store/session-index';
import type { DestinationStore } from './store/types';
import type { TaskTracker } from './tasks';
import type { Verifier } from './verify/verifier-port';

// What the listeners and the monitor receive, as interfaces only: this module sits below slack/
// and monitor/ and imports nothing above the change events, so they can depend on it while
// deps.ts, which builds it all, may import them to construct.

/** What the Slack layer needs from configuration, beyond its dependencies. */
export interface AppSettings {
  /** The principal written into bucket policies, per partition; only these partitions are served. */
  readonly principals: Principals;
  /**
   * False when no STS could prove at start-up that the bot's AWS identity is the principal (an
   * S3-compatible endpoint without STS_ENDPOINT): every check result must then say so.
   */
  readonly identityProven: boolean;
  /** Empty: everyone may run setup and remove. */
  readonly adminUserIds: readonly string[];
  readonly sessionTtlSeconds: number;
  /** How long a verification lock lives if its holder dies: longer than any verification. */
  readonly verifyLockTtlMs: number;
  /** How long an uninstalled workspace's saved destinations wait for a re-install; 30 days if unset. */
  readonly uninstallRetentionMs?: number;
  /** The loader API's bearer tokens; none (or unset): the API is off. */
  readonly loaderApiTokens?: readonly string[];
  /** S3_ENDPOINT is set: role ARNs of that engine's form are accepted (unset: false). */
  readonly s3Compatible?: boolean;
  /** False when no STS can assume customers' roles (S3_ENDPOINT without STS_ENDPOINT). */
  readonly stsAvailable?: boolean;
}

/** What a refresh round did: whether it ran, and how long before the team's next round may. */
export interface RoundResult {
  /** False: it could not run (another replica has the window, Slack said slow down): run again. */
  readonly complete: boolean;
  readonly waitMs: number;
}

/**
 * One refresh of a team's App Homes, for the changes up to `changedAt` (epoch ms), leaving out
 * the users in `skip` (whose own action republishes their view after every one of those changes).
 */
export type RefreshRound = (changedAt: number, skip: ReadonlySet<string>) => Promise<RoundResult>;

/** What the listeners ask of the App Home refresher: a round soon, within its pace. */
export interface HomeChanges {
  /** The least time between two refresh rounds of one team. */
  readonly minIntervalMs: number;
  /** Time set aside per view a round publishes, to stay under views.publish's rate limit. */
  readonly perViewMs: number;
  /** The most viewers one round refreshes. */
  readonly maxViewers: number;
  /** How long a team waits after Slack answered `ratelimited`. */
  readonly rateLimitedWaitMs: number;
  /**
   * A destination of `teamId` changed at `changedAt`: `round` runs soon, once for all changes.
   * `except`: the user whose own action republishes their view after this change.
   */
  request(teamId: string, changedAt: number, round: RefreshRound, except?: string): void;
}

/** The workspaces' installations, as the listeners, the monitor and the install flow use them. */
export interface InstallationRecords {
  /** The installation serving a workspace: its own, or its organization's (org-wide install). */
  forTeam(teamId: string): Promise<AnyInstallation | undefined>;
  /** When the workspace's installation was removed, if it was and has not come back since. */
  uninstalled(teamId: string): Promise<UninstallMark | undefined>;
  /** Forgets that the workspace was uninstalled (its destinations were purged). */
  clearUninstalled(teamId: string): Promise<void>;
  /** Deletes the owner's installation for an uninstall event; true when one was deleted. */
  forget(
    owner: InstallationOwner,
    reason: UninstallMark['reason'],
    eventTime?: Date,
  ): Promise<boolean>;
  /** Bolt's view of the store: requests are authorized from it, installs saved through it. */
  boltStore(): InstallationStore;
}

/** Who was added to, and removed from, a workspace's added admins by one change. */
export interface AdminChange {
  readonly added: string[];
  readonly removed: string[];
}

/** Each workspace's added admins, and Slack's word on people's roles, kept a few minutes. */
export interface AddedAdmins {
  added(teamId: string): Promise<string[]>;
  isAdded(teamId: string, userId: string): Promise<boolean>;
  replace(teamId: string, userIds: readonly string[]): Promise<AdminChange>;
  cachedRole(teamId: string, userId: string): boolean | undefined;
  rememberRole(teamId: string, userId: string, owner: boolean): void;
}

/**
 * The install flow's state: checked when Slack sends the person back (Bolt's `StateStore`), and
 * marked used only once Slack has accepted the code, so a refused code writes nothing.
 */
export interface InstallStates extends StateStore {
  /** Marks the state used; throws when it already was (a state works once). */
  markUsed(state: string, now: Date): Promise<void>;
}

/** Installations and OAuth state in Redis, in OAuth mode. */
export interface OAuthStores {
  readonly installations: InstallationRecords;
  readonly stateStore: InstallStates;
  /** Each workspace's added admins and Slack's word on its owners and admins. */
  readonly admins: AddedAdmins;
}

/** Everything listeners and the monitor receive; built once per process by `buildDeps`. */
export interface Deps {
  readonly logger: Logger;
  readonly stores: Stores;
  /** Each user's latest setup session per bucket, for `policy <bucket>`. */
  readonly sessionIndex: SessionIndex;
  readonly verifier: Verifier;
  readonly tasks: TaskTracker;
  readonly settings: AppSettings;
  readonly now: () => Date;
  /** Where changes wait for the loader's webhook; none without LOADER_WEBHOOK_URL. */
  readonly outbox?: DeliveryOutbox;
  /**
   * Moves the change events the store appends with each change to the outbox; told of each
   * change so its event leaves at once. None without LOADER_WEBHOOK_URL.
   */
  readonly changeFeed?: EventRelay;
  /** Many workspaces (OAuth mode): their installations and the install flow's state. */
  readonly oauth?: OAuthStores;
  /** Refreshes the App Homes people are looking at when a destination changes; none in tools. */
  readonly home?: HomeChanges;
  /**
   * The saved destinations as the loader API reads them: their challenge names left sealed, as
   * the API never returns them; the stores' own when unset.
   */
  readonly loaderDestinations?: DestinationStore;
  /** Whether the encryption key was checked against Redis: `/healthz` answers 503 until it was. */
  readonly keyCheck?: { readonly passed: boolean };
  /** What the operator can watch (Prometheus with METRICS_PORT; nothing otherwise). */
  readonly metrics: Metrics;
}
