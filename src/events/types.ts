import { z } from 'zod';
import { apiDestinationSchema } from '../api/schemas';
import { CHANGE_TYPES, type ChangeType } from '../store/types';

export { CHANGE_TYPES, type ChangeType };

/**
 * One change event as POSTed to LOADER_WEBHOOK_URL (DESIGN.md section 10). `id` is unique per
 * change, so a receiver drops what it has seen (delivery is at least once); `destination` is the
 * destination after the change (before it, for `destination.removed`).
 */
export const changeEventSchema = z.object({
  id: z.string(),
  type: z.enum(CHANGE_TYPES),
  occurred_at: z.string(),
  sequence: z.number().int().positive(),
  destination: apiDestinationSchema,
});
export type ChangeEvent = z.infer<typeof changeEventSchema>;
