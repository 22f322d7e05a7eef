import { randomUUID } from 'node:crypto';
import type { ChangeStamp } from './types';

/** A change's event id and time, for a store whose caller gave none. */
export function newStamp(): ChangeStamp {
  return { id: randomUUID(), at: new Date().toISOString() };
}
