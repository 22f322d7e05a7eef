import { InvalidTeamIdError } from '../errors';

/**
 * Redis key names. Every per-team key carries the team in a hash tag (`{T123}`) so one team's keys
 * share a Redis Cluster slot and can be written in one MULTI or read in one MGET.
 */

const NAMESPACE = 's3d';

/** Throws unless `teamId` can sit inside a hash tag without changing which part is hashed. */
export function assertTeamId(teamId: string): void {
  if (teamId.length === 0 || teamId.includes('{') || teamId.includes('}')) {
    throw new InvalidTeamIdError(teamId);
  }
}

function teamPrefix(teamId: string): string {
  assertTeamId(teamId);
  return `${NAMESPACE}:{${teamId}}`;
}

/** `s3d:{T123}:session:<id>`: one setup session (JSON, expires after the session TTL). */
export function sessionKey(teamId: string, sessionId: string): string {
  return `${teamPrefix(teamId)}:session:${sessionId}`;
}

/**
 * `s3d:{T123}:session-by:<user>:<bucket>`: the id of that user's latest setup of that bucket,
 * expiring with the session it names.
 */
export function sessionByKey(teamId: string, userId: string, bucket: string): string {
  return `${teamPrefix(teamId)}:session-by:${userId}:${bucket}`;
}

/** `s3d:{T123}:destination:<bucket>`: one saved destination (JSON). */
export function destinationKey(teamId: string, bucket: string): string {
  return `${teamPrefix(teamId)}:destination:${bucket}`;
}

/** `s3d:{T123}:destinations`: the set of a team's saved bucket names. */
export function destinationsKey(teamId: string): string {
  return `${teamPrefix(teamId)}:destinations`;
}

/**
 * `s3d:{T123}:destinations-by-bucket`: the same bucket names as a sorted set (all scores 0), so a
 * page of them is one ZRANGEBYLEX.
 */
export function destinationOrderKey(teamId: string): string {
  return `${teamPrefix(teamId)}:destinations-by-bucket`;
}

/**
 * `s3d:{T123}:destinations-by-bucket:version`: the save (destination-version) the sorted set has
 * every bucket up to; behind the counter, a save did not write the sorted set, which is rebuilt.
 */
export function destinationOrderVersionKey(teamId: string): string {
  return `${destinationOrderKey(teamId)}:version`;
}

/** `s3d:{T123}:lock:verify:<id>`: held while one setup session is being verified. */
export function verifyLockKey(teamId: string, sessionId: string): string {
  return `${teamPrefix(teamId)}:lock:verify:${sessionId}`;
}

/** `s3d:{T123}:destination-version`: the counter that numbers the team's saves (never reused). */
export function destinationVersionKey(teamId: string): string {
  return `${teamPrefix(teamId)}:destination-version`;
}

/**
 * The pattern `SCAN` matches to find every team with a saved destination: the team's set of buckets
 * is its own entry in the registry, so a save or remove changes both in one slot.
 */
export const DESTINATIONS_KEY_PATTERN = `${NAMESPACE}:{*}:destinations`;

/** The team id of a key matched by DESTINATIONS_KEY_PATTERN, or undefined. */
export function teamOfDestinationsKey(key: string): string | undefined {
  const match = /^s3d:\{([^{}]+)\}:destinations$/.exec(key);
  return match?.[1];
}

/**
 * `s3d:{T123}:outbox`: the team's change events, a stream appended by the same script that makes
 * each change, until the relay has moved them to the delivery outbox. Deleted when emptied, so
 * the key exists exactly while the team has events to relay.
 */
export function teamOutboxKey(teamId: string): string {
  return `${teamPrefix(teamId)}:outbox`;
}

/** The pattern `SCAN` matches to find every team with change events left to relay. */
export const TEAM_OUTBOX_KEY_PATTERN = `${NAMESPACE}:{*}:outbox`;

/** The team id of a key matched by TEAM_OUTBOX_KEY_PATTERN, or undefined. */
export function teamOfOutboxKey(key: string): string | undefined {
  return /^s3d:\{([^{}]+)\}:outbox$/.exec(key)?.[1];
}

/**
 * `s3d:{T123}:event-sequence`: a hash of bucket → the number of its latest change event. Never
 * deleted with the destination: a bucket removed and connected again goes on counting.
 */
export function eventSequenceKey(teamId: string): string {
  return `${teamPrefix(teamId)}:event-sequence`;
}

/** `s3d:{T123}:audit`: the team's audit trail, a Redis stream capped at AUDIT_MAX_ENTRIES. */
export function auditKey(teamId: string): string {
  return `${teamPrefix(teamId)}:audit`;
}

/**
 * `s3d:{T123}:lock:announce:<bucket>`: held while a change to one destination is recorded and told
 * to the team, so that the team hears the changes in the order they were recorded.
 */
export function announceLockKey(teamId: string, bucket: string): string {
  return `${teamPrefix(teamId)}:lock:announce:${bucket}`;
}

/**
 * `s3d:{T123}:history:<bucket>`: a list of the destination's latest checks, newest first, capped
 * at CHECK_HISTORY_MAX_ENTRIES; it expires when no check has been recorded for a long while.
 */
export function historyKey(teamId: string, bucket: string): string {
  return `${teamPrefix(teamId)}:history:${bucket}`;
}

/** `s3d:{T123}:home:viewer:<user>`: what the user's App Home shows (JSON), while it is recent. */
export function homeViewerKey(teamId: string, userId: string): string {
  return `${teamPrefix(teamId)}:home:viewer:${userId}`;
}

/** `s3d:{T123}:home:viewers`: who opened the App Home lately, scored by when (epoch ms). */
export function homeViewersKey(teamId: string): string {
  return `${teamPrefix(teamId)}:home:viewers`;
}

/** `s3d:{T123}:lock:home-refresh`: held by the replica whose App Home refresh has this window. */
export function homeRefreshLockKey(teamId: string): string {
  return `${teamPrefix(teamId)}:lock:home-refresh`;
}

/**
 * `s3d:{T123}:installation`, or `s3d:{E123}:installation` for an org-wide install: the workspace's
 * (or organization's) Slack installation, sealed whole with the store's encryption key.
 */
export function installationKey(installationId: string): string {
  return `${teamPrefix(installationId)}:installation`;
}

/** `s3d:{T123}:enterprise`: the organization whose org-wide install serves this workspace. */
export function teamEnterpriseKey(teamId: string): string {
  return `${teamPrefix(teamId)}:enterprise`;
}

/** The pattern `SCAN` matches to find every workspace known to be served by an org-wide install. */
export const TEAM_ENTERPRISE_KEY_PATTERN = `${NAMESPACE}:{*}:enterprise`;

/** The team id of a key matched by TEAM_ENTERPRISE_KEY_PATTERN, or undefined. */
export function teamOfEnterpriseKey(key: string): string | undefined {
  return /^s3d:\{([^{}]+)\}:enterprise$/.exec(key)?.[1];
}

/** `s3d:{T123}:admins`: the people a workspace's admins added in the App Home (a set of user ids). */
export function addedAdminsKey(teamId: string): string {
  return `${teamPrefix(teamId)}:admins`;
}

/**
 * `s3d:{T123}:uninstalled`: when the app was uninstalled from the workspace (JSON). Its saved
 * destinations are purged once this is older than the retention; a re-install deletes it.
 */
export function uninstalledKey(teamId: string): string {
  return `${teamPrefix(teamId)}:uninstalled`;
}

/** `s3d:{T123}:lock:token-refresh`: held by the one replica refreshing the installation's token. */
export function tokenRefreshLockKey(installationId: string): string {
  return `${teamPrefix(installationId)}:lock:token-refresh`;
}

/** `s3d:{T123}:session*`: every setup session of a team and its per-user index entries. */
export function teamSessionsPattern(teamId: string): string {
  return `${teamPrefix(teamId)}:session*`;
}

/**
 * The patterns `SCAN` matches to find every value that holds a sealed secret: setup sessions and
 * saved destinations (their challenge file names) and installations (sealed whole).
 */
export const SEALED_VALUE_PATTERNS = {
  sessions: `${NAMESPACE}:{*}:session:*`,
  destinations: `${NAMESPACE}:{*}:destination:*`,
  installations: `${NAMESPACE}:{*}:installation`,
} as const;

/**
 * `s3d:encryption-check`: a known text sealed with the key the secrets in Redis are sealed with
 * (store/secrets-check.ts).
 */
export const ENCRYPTION_CHECK_KEY = `${NAMESPACE}:encryption-check`;

/** `s3d:oauth-state:<id>`: an install state already used, until it would have expired anyway. */
export function oauthStateKey(stateId: string): string {
  return `${NAMESPACE}:oauth-state:${stateId}`;
}

/**
 * The delivery outbox's keys. They share the `{outbox}` hash tag, so each of its scripts touches
 * one Cluster slot. The stream is the durable log the delivery reads: an event is in it until it
 * was delivered (or kept as a dead letter), and the consumer group hands each entry to one replica
 * at a time.
 */
export const OUTBOX_KEYS = {
  stream: `${NAMESPACE}:{outbox}:events`,
  dead: `${NAMESPACE}:{outbox}:dead`,
  retries: `${NAMESPACE}:{outbox}:retries`,
  /** The highest `seq` of the destination that was delivered or given up on. */
  sent: (teamId: string, bucket: string) => `${NAMESPACE}:{outbox}:sent:${teamId}:${bucket}`,
  lock: (teamId: string, bucket: string) => `${NAMESPACE}:{outbox}:lock:${teamId}:${bucket}`,
} as const;

/**
 * A monitor round's ledger under the job queue's prefix (its hash tag, `{s3d-monitor}`, keeps a
 * round's keys in one Cluster slot): the jobs outstanding, those finished, and the totals.
 */
export function roundLedgerKeys(queuePrefix: string, roundId: string): [string, string, string] {
  const base = `${queuePrefix}:monitor-round:${roundId}`;
  return [`${base}:pending`, `${base}:done`, `${base}:totals`];
}
