import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { toApiDestination, type ApiDestination } from '../../src/api/schemas';
import {
  recordCheck,
  removeDestination,
  saveDestination,
  type ChangePathDeps,
} from '../../src/destinations/changes';
import { StoreUnavailableError } from '../../src/errors';
import { OUTBOX_KEYS, RedisOutbox, RedisTeamOutboxes } from '../../src/store/outbox';
import { EventRelay } from '../../src/events/relay';
import { changeEventSchema, type ChangeEvent } from '../../src/events/types';
import { createLogger } from '../../src/log/logger';
import { createRedisStores, type DestinationStore } from '../../src/store';
import { loaderView } from '../support/loader-view';
import { testRedis, type TestRedis } from '../support/redis';
import { savedDestination } from '../support/fixtures';

// Random interleavings of saves, checks and removes of two buckets through the change path, with
// Slack failing and Redis replies lost after the script ran: whatever the order, the events rebuild
// exactly what is saved (but for the times of the latest check), and every flip of the last check
// is exactly one failing or recovered.

const BUCKETS = ['lake-a', 'lake-b'] as const;

type Operation = {
  kind: 'save' | 'check' | 'remove';
  bucket: (typeof BUCKETS)[number];
  ok: boolean;
  /** Telling the team fails (Slack down). */
  announceFails: boolean;
};

const operation: fc.Arbitrary<Operation> = fc.record({
  kind: fc.constantFrom('save', 'check', 'remove'),
  bucket: fc.constantFrom(...BUCKETS),
  ok: fc.boolean(),
  announceFails: fc.boolean(),
});

const logger = createLogger({ level: 'silent' });

let redis: TestRedis;
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(async () => {
  await redis.cleanup();
});

/** Each store call waits for the scheduler's turn; a lost reply runs the call, then throws. */
function scheduled(store: DestinationStore, s: fc.Scheduler, lost: Set<string>): DestinationStore {
  const gate = async <T>(label: string, call: () => Promise<T>, key?: string): Promise<T> => {
    await s.schedule(Promise.resolve(label), label);
    const result = await call();
    if (key !== undefined && lost.delete(key)) throw new StoreUnavailableError(new Error(label));
    return result;
  };
  return {
    save: (draft, fence, stamp) =>
      gate(
        `save ${draft.settings.bucket}`,
        () => store.save(draft, fence, stamp),
        draft.connectedBy,
      ),
    record: (teamId, bucket, version, record, stamp) =>
      gate(
        `record ${bucket}`,
        () => store.record(teamId, bucket, version, record, stamp),
        record.lastCheck?.summary,
      ),
    remove: (teamId, bucket, stamp) =>
      gate(`remove ${bucket}`, () => store.remove(teamId, bucket, stamp), `remove-${bucket}`),
    get: (teamId, bucket) => gate(`get ${bucket}`, () => store.get(teamId, bucket)),
    list: (teamId) => store.list(teamId),
    count: (teamId) => store.count(teamId),
    teams: () => store.teams(),
  };
}

/** Every event in the delivery outbox for `teamId`, deduplicated by id. */
async function deliveredEvents(teamId: string): Promise<ChangeEvent[]> {
  const entries = (await redis.client.xrange(OUTBOX_KEYS.stream, '-', '+')) as [string, string[]][];
  const byId = new Map<string, ChangeEvent>();
  for (const [, fields] of entries) {
    const event = changeEventSchema.parse(JSON.parse(fields[fields.indexOf('event') + 1]));
    if (event.destination.team_id === teamId) byId.set(event.id, event);
  }
  return [...byId.values()];
}

/**
 * Applies one bucket's events in sequence order, checking that each is the change it names, and
 * returns what the loader then holds.
 */
function replay(events: ChangeEvent[]): ApiDestination | undefined {
  const ordered = [...events].sort((a, b) => a.sequence - b.sequence);
  expect(ordered.map((event) => event.sequence)).toEqual(ordered.map((_, i) => i + 1));
  let held: ApiDestination | undefined;
  for (const event of ordered) {
    const { type, destination } = event;
    if (type === 'destination.connected') expect(held).toBeUndefined();
    else expect(held).toBeDefined();
    if (type === 'destination.failing') {
      expect([held?.last_check.ok, destination.last_check.ok]).toEqual([true, false]);
    }
    if (type === 'destination.recovered') {
      expect([held?.last_check.ok, destination.last_check.ok]).toEqual([false, true]);
    }
    held = type === 'destination.removed' ? undefined : destination;
  }
  return held;
}

test('the events rebuild what is saved, whatever the interleaving and whatever fails', async () => {
  let clock = Date.UTC(2025, 0, 1);
  const tick = () => new Date((clock += 1000));
  await fc.assert(
    fc.asyncProperty(
      fc.scheduler(),
      fc.array(operation, { minLength: 1, maxLength: 10 }),
      // Which operations' store call runs, then loses its reply (a timeout after the script ran).
      fc.array(
        fc.nat(4).map((n) => n === 0),
        { minLength: 10, maxLength: 10 },
      ),
      async (s, operations, lostReplies) => {
        const teamId = `T${randomBytes(4).toString('hex')}`;
        const stores = createRedisStores(redis.client, 3600, { events: true });
        const lost = new Set<string>();
        const deps: ChangePathDeps = {
          stores: { ...stores, destinations: scheduled(stores.destinations, s, lost) },
          logger,
          now: tick,
        };
        const relay = new EventRelay(
          new RedisTeamOutboxes(redis.client),
          new RedisOutbox(redis.client),
          logger,
        );
        const run = async (op: Operation, index: number): Promise<void> => {
          const { bucket } = op;
          // Which calls lose their reply: matched by a marker the call carries.
          const marker = `${op.kind}-${index}`;
          if (lostReplies[index]) lost.add(op.kind === 'remove' ? `remove-${bucket}` : marker);
          const announce = async () => {
            if (op.announceFails) throw new Error('Slack is down');
            return undefined;
          };
          if (op.kind === 'save') {
            const draft = { ...savedDestination(teamId, bucket), connectedBy: marker };
            const at = tick().toISOString();
            draft.lastCheck = { at, ok: true, summary: 'All checks passed' };
            await saveDestination(deps, { draft, actor: 'U1', announce });
          } else if (op.kind === 'remove') {
            await removeDestination(deps, { teamId, bucket, actor: 'U1', announce });
          } else {
            const destination = await deps.stores.destinations.get(teamId, bucket);
            if (!destination) return;
            const lastCheck = { at: tick().toISOString(), ok: op.ok, summary: marker };
            await recordCheck(deps, { destination, record: { lastCheck }, announce });
          }
        };
        // Both buckets connected first, so that most operations meet a saved destination.
        for (const bucket of BUCKETS) {
          await saveDestination(
            { ...deps, stores },
            { draft: savedDestination(teamId, bucket), actor: 'U1' },
          );
        }
        await s.waitFor(Promise.allSettled(operations.map((op, index) => run(op, index))));
        await relay.relayAll();

        const events = await deliveredEvents(teamId);
        for (const bucket of BUCKETS) {
          const saved = await stores.destinations.get(teamId, bucket);
          const held = replay(events.filter((event) => event.destination.bucket === bucket));
          expect(loaderView(held)).toEqual(loaderView(saved && toApiDestination(saved)));
        }
      },
    ),
    { numRuns: 80 },
  );
}, 120_000);
