import type { EventSigner } from './signing';

/** How one POST of an event went. */
export type PostOutcome =
  | { readonly kind: 'delivered' }
  /** 410 Gone: the receiver refuses this event for good; it is not sent again. */
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string };

const messageOf = (value: unknown): string | undefined =>
  typeof value === 'object' && value !== null && 'message' in value
    ? String(value.message)
    : undefined;

/**
 * What went wrong with a request, with the cause fetch keeps underneath "fetch failed" (read
 * without instanceof: fetch's errors may come from another realm than this module's Error).
 */
function failureOf(error: unknown): string {
  const message = messageOf(error) ?? String(error);
  const cause =
    typeof error === 'object' && error !== null && 'cause' in error
      ? messageOf(error.cause)
      : undefined;
  return cause ? `${message}: ${cause}` : message;
}

/**
 * POSTs one event to the loader's webhook, signed. Redirects are refused, not followed: the
 * signed body goes to the configured URL only. A 2xx answer is a delivery.
 */
export async function postEvent(
  url: string,
  signer: EventSigner,
  event: { readonly eventId: string; readonly body: string },
  timeoutMs: number,
): Promise<PostOutcome> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...signer.headers(event.eventId, event.body, new Date()),
      },
      body: event.body,
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return { kind: 'delivered' };
    if (response.status === 410) {
      return { kind: 'refused', reason: 'HTTP 410 Gone: the receiver refuses this event' };
    }
    return { kind: 'failed', reason: `HTTP ${response.status}` };
  } catch (error) {
    return { kind: 'failed', reason: failureOf(error) };
  }
}
