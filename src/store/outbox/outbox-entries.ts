import { z } from 'zod';

// The delivery outbox's entries as the delivery reads them, parsed from what Redis holds.

/** What goes into the stream: one event of one destination. */
export interface NewOutboxEntry {
  readonly teamId: string;
  readonly bucket: string;
  /** The event's `sequence`: 1, 2, 3… per destination, without gaps. */
  readonly seq: number;
  /** The event's JSON, exactly as it is POSTed. */
  readonly body: string;
}

/** One entry of the stream, as the delivery reads it. */
export interface OutboxEntry extends NewOutboxEntry {
  /** The stream entry id. */
  readonly entryId: string;
  /** The event's `id`: the `webhook-id` of its deliveries. */
  readonly eventId: string;
  /** A dead letter put back: sent again although its destination has moved past its seq. */
  readonly replay: boolean;
}

/** An entry the delivery cannot use (a field missing, a body without an id): kept as a dead letter. */
export interface MalformedEntry {
  readonly entryId: string;
  readonly problem: string;
}

/** Where a failing event stands: kept in Redis so that whichever replica retries it goes on. */
export const retryStateSchema = z.object({
  attempts: z.number().int().positive(),
  firstFailedAt: z.number(),
  nextAt: z.number(),
  lastError: z.string(),
});
export type RetryState = z.infer<typeof retryStateSchema>;

/** What a delivery attempt may do with an entry, decided by the destination's state in Redis. */
export type Start =
  | { readonly state: 'done' } // its seq was delivered already: a duplicate
  | { readonly state: 'waiting' } // an earlier event of the destination is not finished
  | { readonly state: 'busy' } // another replica is sending this destination's event
  | { readonly state: 'later'; readonly retry: RetryState } // its next retry is not due
  | { readonly state: 'go'; readonly retry?: RetryState }; // the lock is ours: send it

/** A stream entry as Redis answers it: its id and its fields, name and value in turn. */
export type RawEntry = [string, string[] | null];
const eventIdSchema = z.object({ id: z.string().min(1) });

/** Parses a stream entry; what cannot be delivered comes back as a MalformedEntry. */
export function parseEntry([entryId, fields]: RawEntry): OutboxEntry | MalformedEntry {
  const value: Record<string, string> = {};
  for (let i = 0; i + 1 < (fields?.length ?? 0); i += 2) value[fields![i]] = fields![i + 1];
  const seq = Number(value.seq);
  if (!value.team || !value.bucket || !Number.isSafeInteger(seq) || seq < 1 || !value.event) {
    return { entryId, problem: 'malformed entry: team, bucket, seq or event missing' };
  }
  let eventId: string;
  try {
    eventId = eventIdSchema.parse(JSON.parse(value.event)).id;
  } catch {
    return { entryId, problem: 'malformed entry: the event is not JSON with an id' };
  }
  const { team: teamId, bucket, event: body } = value;
  return { entryId, teamId, bucket, seq, body, eventId, replay: value.replay === '1' };
}

/** Stream entry ids in order: milliseconds, then sequence. */
export function compareEntryIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split('-').map(Number);
  const [bMs, bSeq] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

/** The entries of an XREADGROUP reply on the one stream. */
export const entriesOf = (reply: unknown) =>
  ((reply as [string, RawEntry[]][] | null)?.[0]?.[1] ?? []).map(parseEntry);

/** A stored retry state; undefined when there is none or it does not parse. */
export function parseRetry(raw: string | undefined): RetryState | undefined {
  if (!raw) return undefined;
  const parsed = retryStateSchema.safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data : undefined;
}
