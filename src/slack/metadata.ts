import { z } from 'zod';

/** What the setup modal carries in `private_metadata`: where setup started and how to answer. */
export const setupMetadataSchema = z.object({
  channelId: z.string().min(1),
  responseUrl: z.string().url().optional(),
});
export type SetupMetadata = z.infer<typeof setupMetadataSchema>;

/** Parses a modal's private_metadata; undefined when it is missing or not ours. */
export function parseSetupMetadata(raw: string | undefined): SetupMetadata | undefined {
  if (!raw) return undefined;
  try {
    const parsed = setupMetadataSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
