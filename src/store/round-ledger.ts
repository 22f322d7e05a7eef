import { roundLedgerKeys } from './keys';
import { LuaScript } from './lua-script';
import type { RedisClient } from './redis-client';

/** How long a round's totals are kept after it was last touched. */
const ROUND_TTL_SECONDS = 24 * 60 * 60;

/** What the checks of a monitor job did, added to its round's totals. */
export interface RoundCounts {
  /** Destinations whose checks ran. */
  checked: number;
  /** Passing → failing, confirmed by a second check: alerts posted (or sent to the connector). */
  alerts: number;
  /** Failing → passing: recovery notices posted (or sent to the connector). */
  recoveries: number;
  /** Destinations the round could not handle: an error, S3 or the bot's side, or a post Slack refused. */
  failures: number;
}

/** What a finished round did, over every replica that worked on it. */
export interface RoundTotals extends RoundCounts {
  readonly roundId: string;
  /** Milliseconds from the round's opening to its last job's end. */
  readonly durationMs: number;
}

/**
 * Registers jobs of the round as outstanding, unless a job of that id already finished (a round
 * job taken over from a killed replica lists its destinations again). Returns the ids to enqueue.
 */
const EXPECT_SCRIPT = new LuaScript(`
local fresh = {}
for i, id in ipairs(ARGV) do
  if i > 1 and redis.call('sismember', KEYS[2], id) == 0 then
    redis.call('sadd', KEYS[1], id)
    fresh[#fresh + 1] = id
  end
end
for _, key in ipairs(KEYS) do redis.call('expire', key, ARGV[1]) end
return fresh
`);

/**
 * Marks one job finished, adding its counts only the first time (a job run again after its
 * replica was killed does not count twice); finishes the round when it was the last. Returns the
 * totals' fields when this call finished the round.
 */
const FINISH_SCRIPT = new LuaScript(`
local pending, done, totals = KEYS[1], KEYS[2], KEYS[3]
local id = ARGV[1]
if redis.call('sadd', done, id) == 1 then
  redis.call('srem', pending, id)
  redis.call('hincrby', totals, 'checked', ARGV[2])
  redis.call('hincrby', totals, 'alerts', ARGV[3])
  redis.call('hincrby', totals, 'recoveries', ARGV[4])
  redis.call('hincrby', totals, 'failures', ARGV[5])
end
redis.call('expire', totals, ARGV[6])
if redis.call('scard', pending) > 0 then return nil end
if redis.call('hsetnx', totals, 'finishedAt', ARGV[7]) == 0 then return nil end
redis.call('del', pending, done)
return redis.call('hgetall', totals)
`);

/**
 * A monitor round's progress in Redis, shared by every replica: the jobs still outstanding, the
 * ones finished, and the totals. The keys carry the job queue's prefix, hash tag included, so one
 * round's keys share a Redis Cluster slot and each step is one script.
 */
export class RedisRoundLedger {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private keys(roundId: string): [string, string, string] {
    return roundLedgerKeys(this.prefix, roundId);
  }

  /** Notes when the round opened (the first time only). */
  async open(roundId: string, now: Date): Promise<void> {
    const totals = this.keys(roundId)[2];
    await this.redis
      .multi()
      .hsetnx(totals, 'openedAt', String(now.getTime()))
      .expire(totals, ROUND_TTL_SECONDS)
      .exec();
  }

  /**
   * The round's batch size: `proposed` the first time, the one chosen then when a round job taken
   * over lists the round again (its jobs' ids depend on it, so that none is enqueued twice).
   */
  async batchSize(roundId: string, proposed: number): Promise<number> {
    const totals = this.keys(roundId)[2];
    const replies = await this.redis
      .multi()
      .hsetnx(totals, 'batchSize', String(proposed))
      .hget(totals, 'batchSize')
      .exec();
    const chosen = Number(replies?.[1]?.[1]);
    return Number.isInteger(chosen) && chosen >= 1 ? chosen : proposed;
  }

  /** Registers these jobs as outstanding; returns those not finished already, to enqueue. */
  async expect(roundId: string, jobIds: readonly string[]): Promise<string[]> {
    if (jobIds.length === 0) return [];
    const [pending, done] = this.keys(roundId);
    return (await EXPECT_SCRIPT.run(
      this.redis,
      [pending, done],
      [ROUND_TTL_SECONDS, ...jobIds],
    )) as string[];
  }

  /**
   * One job of the round finished with these counts; the totals when it was the round's last.
   * The round's listing is one of its jobs, so a round never finishes before it is all enqueued.
   */
  async finishJob(
    roundId: string,
    jobId: string,
    counts: RoundCounts,
    now: Date,
  ): Promise<RoundTotals | undefined> {
    const reply = (await FINISH_SCRIPT.run(this.redis, this.keys(roundId), [
      jobId,
      counts.checked,
      counts.alerts,
      counts.recoveries,
      counts.failures,
      ROUND_TTL_SECONDS,
      String(now.getTime()),
    ])) as string[] | null;
    if (!reply) return undefined;
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) fields[reply[i]] = reply[i + 1];
    return totalsOf(roundId, fields, now.getTime());
  }

  /** The totals of a finished round, or undefined while it runs (or was never opened). */
  async totals(roundId: string): Promise<RoundTotals | undefined> {
    const fields = await this.redis.hgetall(this.keys(roundId)[2]);
    if (!fields.finishedAt) return undefined;
    return totalsOf(roundId, fields, Number(fields.finishedAt));
  }
}

/** A finished round's totals from its hash's fields, its duration up to `finishedAtMs`. */
function totalsOf(
  roundId: string,
  fields: Readonly<Record<string, string>>,
  finishedAtMs: number,
): RoundTotals {
  const number = (name: string) => Number(fields[name] ?? 0);
  return {
    roundId,
    checked: number('checked'),
    alerts: number('alerts'),
    recoveries: number('recoveries'),
    failures: number('failures'),
    durationMs: finishedAtMs - number('openedAt'),
  };
}
