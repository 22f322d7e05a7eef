import { z } from 'zod';
import { apiDestinationSchema } from '../api/schemas';

export const CHANGE_TYPES = [
  'destination.connected',
  'destination.updated',
  'destination.failing',
  'destination.recovered',
  'destination.removed',
] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

/**
 * One change event as POSTed to LOADER_WEBHOOK_URL (DESIGN.md section 10). `id` is unique per
 * change, so a receiver drops what it has seen (delivery is at least once); `destination` is the
 * destination after the change (before it, for `destination.removed`).
 */
export const changeEventSchema = z.object({
  id: z.string(),
  type: z.enum(CHANGE_TYPES),
  occurred_at: z.string(),
  destination: apiDestinationSchema,
});
export type ChangeEvent = z.infer<typeof changeEventSchema>;
