import { z } from 'zod';

/**
 * The monitor's jobs and their data, validated when a worker takes one (like every value read
 * back from Redis): a job written by an older or newer replica is refused with a clear error.
 */
export const JOB_NAMES = {
  /** Opens a round: lists every watched destination into check jobs. */
  round: 'round',
  /** Checks a small batch of one team's destinations, one after the other. */
  check: 'check',
  /** Checks one destination again whose first check proved nothing (S3 or the bot's side). */
  recheck: 'recheck',
  /** The second look at a newly failing destination, after a pause, before anyone is alerted. */
  confirm: 'confirm',
} as const;

export const roundJobSchema = z.object({}).loose();

const countsSchema = z.object({
  checked: z.number().int().nonnegative(),
  alerts: z.number().int().nonnegative(),
  recoveries: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative(),
});

export const checkJobSchema = z.object({
  roundId: z.string().min(1),
  teamId: z.string().min(1),
  buckets: z.array(z.string().min(1)).min(1),
  /**
   * The bucket just before the first one in the team's order (null: the first is the team's
   * first), so the batch is read in one step while the order has not changed.
   */
  after: z.string().nullable().optional(),
  /** What the replica that began the batch counted before it shut down and handed the rest back. */
  counts: countsSchema.optional(),
});
export type CheckJob = z.infer<typeof checkJobSchema>;

/** A recheck or a confirmation: one destination, at the save (`version`) the round saw. */
export const destinationJobSchema = z.object({
  roundId: z.string().min(1),
  teamId: z.string().min(1),
  bucket: z.string().min(1),
  version: z.number().int().nonnegative(),
});
export type DestinationJob = z.infer<typeof destinationJobSchema>;
