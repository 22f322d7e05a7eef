import { CHANGE_TYPES, type ChangeType } from '../store/types';

export { CHANGE_TYPES, type ChangeType };
export { changeEventSchema, type ChangeEvent } from '../api/change-event';
