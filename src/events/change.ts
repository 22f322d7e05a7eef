import type { SavedDestination } from '../store/types';
import type { ChangeType } from './types';

/** The change a destination went through, from what was saved before to what is saved after. */
export function changeBetween(
  before: SavedDestination | undefined,
  after: SavedDestination | undefined,
): ChangeType | undefined {
  if (!before) return after ? 'destination.connected' : undefined;
  if (!after) return 'destination.removed';
  if (before.version !== after.version) return 'destination.updated';
  if (before.lastCheck.ok && !after.lastCheck.ok) return 'destination.failing';
  if (!before.lastCheck.ok && after.lastCheck.ok) return 'destination.recovered';
  return undefined;
}
