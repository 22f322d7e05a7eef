import { z } from 'zod';
import { CHANGE_TYPES } from '../store/types';
import { apiDestinationSchema, apiSchemas } from './schemas';

/** The Standard Webhooks headers every change event is sent with. */
export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

/**
 * One change event as POSTed to LOADER_WEBHOOK_URL. `id` is unique per change, so a receiver
 * drops what it has seen (delivery is at least once); `sequence` grows by one with each event of
 * the same team and bucket, across its whole life, so a receiver keeps the highest it has;
 * `destination` is the destination after the change (before it, for `destination.removed`).
 */
export const changeEventSchema = z
  .object({
    id: z.string().meta({ description: 'Unique per change; also the webhook-id header.' }),
    type: z.enum(CHANGE_TYPES),
    occurred_at: z.string().meta({ description: 'When the change was made (ISO 8601).' }),
    sequence: z.number().int().positive().meta({
      description:
        'Grows by one with each event of the same team_id and bucket, across removal and connecting again; keep the highest.',
    }),
    destination: apiDestinationSchema,
  })
  .register(apiSchemas, { id: 'ChangeEvent' });
export type ChangeEvent = z.infer<typeof changeEventSchema>;
