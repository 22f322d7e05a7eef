import { z } from 'zod';
import { destinationSettingsSchema } from '../domain/destination';

/** A setup in progress: created on a valid modal submit, consumed by Check and Save. */
export const setupSessionSchema = z.object({
  id: z.string().min(1),
  teamId: z.string().min(1),
  userId: z.string().min(1),
  channelId: z.string().min(1),
  responseUrl: z.string().url().optional(),
  settings: destinationSettingsSchema,
  challengeKey: z.string().min(1),
  createdAt: z.string(),
  /** Set once Check and Save has saved the destination, so a second click does not save again. */
  savedAt: z.string().optional(),
});
export type SetupSession = z.infer<typeof setupSessionSchema>;

/** The outcome of the latest verification of a saved destination. */
export const lastCheckSchema = z.object({
  at: z.string(),
  ok: z.boolean(),
  summary: z.string(),
});
export type LastCheck = z.infer<typeof lastCheckSchema>;

/** A destination that passed Check and Save. */
export const savedDestinationSchema = z.object({
  teamId: z.string().min(1),
  settings: destinationSettingsSchema,
  challengeKey: z.string().min(1),
  channelId: z.string().min(1),
  connectedBy: z.string().min(1),
  verifiedAt: z.string(),
  lastCheck: lastCheckSchema,
});
export type SavedDestination = z.infer<typeof savedDestinationSchema>;

/** Setup sessions, expiring after the store's TTL. */
export interface SessionStore {
  put(session: SetupSession): Promise<void>;
  get(teamId: string, id: string): Promise<SetupSession | undefined>;
  delete(teamId: string, id: string): Promise<void>;
}

/** Saved destinations, one per team and bucket. */
export interface DestinationStore {
  save(destination: SavedDestination): Promise<void>;
  get(teamId: string, bucket: string): Promise<SavedDestination | undefined>;
  list(teamId: string): Promise<SavedDestination[]>;
  /** True when something was removed. */
  remove(teamId: string, bucket: string): Promise<boolean>;
  /** Every team that has at least one saved destination (the monitor's sweep list). */
  teams(): Promise<string[]>;
}

/** Mutual exclusion across replicas: `SET NX PX` in Redis, a map in memory. */
export interface LockStore {
  /** A token when the lock was taken, undefined when someone else holds it. */
  acquire(key: string, ttlMs: number): Promise<string | undefined>;
  /** Releases only when `token` still owns the lock. */
  release(key: string, token: string): Promise<void>;
}

/** Whether the backing store answers; `memory` for the embedded default. */
export interface StoreHealth {
  readonly kind: 'redis' | 'memory';
  ping(): Promise<boolean>;
}
