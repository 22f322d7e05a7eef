import type { ApiDestination } from '../../src/api/schemas';

/**
 * What a loader acts on: the destination without the times of its latest check. A check that
 * changes nothing but those (still passing, still failing) sends no event, so a receiver that
 * applied every event holds this much of what the API says, exactly.
 */
export function loaderView(destination: ApiDestination | undefined) {
  if (!destination) return undefined;
  const view: Partial<ApiDestination> = { ...destination };
  delete view.verified_at;
  return { ...view, last_check: { ok: destination.last_check.ok } };
}
