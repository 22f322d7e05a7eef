import { z } from 'zod';

/** Where a page ended: the last destination it held. Pages run by team, then by bucket. */
export interface PagePosition {
  readonly teamId: string;
  readonly bucket: string;
}

// A team id that could not be a store key (braces would break its hash tag) is no cursor of ours.
const positionSchema = z.tuple([z.string().regex(/^[^{}]+$/), z.string().min(1)]);

/** An opaque cursor: base64url of the last (team, bucket) seen. */
export function encodeCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.teamId, position.bucket]), 'utf8').toString(
    'base64url',
  );
}

/** The position a cursor names, or undefined when it is not one of ours. */
export function decodeCursor(cursor: string): PagePosition | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    const parsed = positionSchema.safeParse(
      JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')),
    );
    return parsed.success ? { teamId: parsed.data[0], bucket: parsed.data[1] } : undefined;
  } catch {
    return undefined;
  }
}
