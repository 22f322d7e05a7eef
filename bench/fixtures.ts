import { randomUUID } from 'node:crypto';
import { newChallengeKey } from '../src/domain/challenge';
import type { DestinationSettings } from '../src/domain/destination';
import { DEFAULT_KEY_TEMPLATE } from '../src/domain/key-template';
import { forEachConcurrently } from '../test/support/worker-pool';
import type { DestinationDraft, SetupSession, Stores } from '../src/store';
import type { LocalS3 } from '../test/support/s3-local';
import { DEFAULT_ACTOR } from '../test/support/slack-payloads';

/** How many requests seeding keeps in flight against the local S3 server and Redis. */
const SEED_CONCURRENCY = 16;
/** Sessions of the Check and Save load that share one bucket, each with its own challenge file. */
const SESSIONS_PER_BUCKET = 10;
/** Saved destinations per team in the sweep fixture. */
const DESTINATIONS_PER_TEAM = 10;

export function benchSettings(bucket: string): DestinationSettings {
  return {
    bucket,
    region: 'us-east-1',
    format: 'jsonl',
    csvDelimiter: 'comma',
    csvForceQuote: false,
    keyTemplate: DEFAULT_KEY_TEMPLATE,
  };
}

/** A destination as Check and Save leaves it: last seen passing, its region compared. */
export function benchDestination(
  teamId: string,
  bucket: string,
  challengeKey = newChallengeKey(),
  at = new Date().toISOString(),
): DestinationDraft {
  return {
    teamId,
    settings: benchSettings(bucket),
    challengeKey,
    channelId: DEFAULT_ACTOR.channelId,
    connectedBy: DEFAULT_ACTOR.userId,
    connectedAt: at,
    verifiedAt: at,
    regionCheckedAt: at,
    lastCheck: { at, ok: true, summary: 'All four checks passed.' },
  };
}

/**
 * Setup sessions ready for Check and Save: each its own challenge file, uploaded to its bucket as
 * the user would, so every click passes all four checks.
 */
export async function seedCheckSessions(
  stores: Stores,
  s3: LocalS3,
  count: number,
  bucketPrefix: string,
): Promise<SetupSession[]> {
  const buckets = Array.from(
    { length: Math.ceil(count / SESSIONS_PER_BUCKET) },
    (_, index) => `${bucketPrefix}-${index}`,
  );
  await forEachConcurrently(buckets, SEED_CONCURRENCY, (bucket) => s3.createBucket(bucket));
  const sessions: SetupSession[] = Array.from({ length: count }, (_, index) => ({
    id: randomUUID(),
    teamId: DEFAULT_ACTOR.teamId,
    userId: DEFAULT_ACTOR.userId,
    channelId: DEFAULT_ACTOR.channelId,
    settings: benchSettings(buckets[Math.floor(index / SESSIONS_PER_BUCKET)]),
    challengeKey: newChallengeKey(),
    createdAt: new Date().toISOString(),
  }));
  await forEachConcurrently(sessions, SEED_CONCURRENCY, async (session) => {
    await s3.putObject(session.settings.bucket, session.challengeKey);
    await stores.sessions.put(session);
  });
  return sessions;
}

/**
 * Saved destinations `from` to `to` (exclusive), each with its own bucket and challenge file and
 * last seen passing, in teams of ten: what a sweep finds in a healthy workspace. The challenge
 * file is in its bucket and the region was compared at the save, as Check and Save leaves them, so
 * the routine check's one listing is all a destination costs.
 */
export async function seedDestinations(
  stores: Stores,
  s3: LocalS3,
  from: number,
  to: number,
  bucketPrefix: string,
): Promise<void> {
  const indexes = Array.from({ length: to - from }, (_, offset) => from + offset);
  const at = new Date().toISOString();
  await forEachConcurrently(indexes, SEED_CONCURRENCY, async (index) => {
    const bucket = `${bucketPrefix}-${index}`;
    const challengeKey = newChallengeKey();
    await s3.createBucket(bucket);
    await s3.putObject(bucket, challengeKey);
    const teamId = `TBENCH${Math.floor(index / DESTINATIONS_PER_TEAM)}`;
    await stores.destinations.save(benchDestination(teamId, bucket, challengeKey, at));
  });
}
