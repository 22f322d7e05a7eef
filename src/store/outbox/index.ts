export * from './outbox-entries';
export { OUTBOX_GROUP, RedisOutbox, type OutboxReader } from './delivery-outbox';
export { RedisTeamOutboxes, type TeamOutboxEntry } from './team-outboxes';
export { OUTBOX_KEYS } from '../keys';
