import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type {
  CheckOutcome,
  CheckSource,
  Metrics,
  S3CallFailure,
  SlackCallFailure,
} from './metrics';

/** Seconds a check, an S3 call or a Slack call typically takes: 5 ms to 30 s. */
const CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds from a change to its delivery, or a round's length: up to a few hours. */
const LONG_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14400];

/** The monitor's queue by job state. */
export interface QueueDepth {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly failed: number;
}

/** The outbox's backlog. */
export interface OutboxDepth {
  readonly pending: number;
  readonly deadLetters: number;
}

/** The monitor's queue by job state, read when Prometheus scrapes. */
export type QueueDepthSource = () => Promise<QueueDepth>;

/** The outbox's backlog, read when Prometheus scrapes. */
export type OutboxDepthSource = () => Promise<OutboxDepth>;

export interface PrometheusMetricsOptions {
  /** The clock the reads from Redis are spaced by (milliseconds); Date.now by default. */
  readonly now?: () => number;
  /** How long one read of the queue and the outbox serves every scrape; default 5 s. */
  readonly readEveryMs?: number;
}

/**
 * `read`, called at most once every `everyMs`: every scrape within that time (and every one
 * while a read runs) shares its answer, so a flood of scrapes costs Redis one read. A failed read
 * is an answer too (undefined), so a Redis that is away is not asked again at every scrape.
 */
function spacedRead<T>(
  read: () => Promise<T>,
  everyMs: number,
  now: () => number,
): () => Promise<T | undefined> {
  let last: { readonly at: number; readonly answer: Promise<T | undefined> } | undefined;
  return () => {
    const at = now();
    if (last && at - last.at < everyMs) return last.answer;
    const answer = read().catch(() => undefined);
    last = { at, answer };
    return answer;
  };
}

/** The app's metrics in one Prometheus registry: the only module that knows prom-client. */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly checks: Counter<'source' | 'outcome'>;
  private readonly checkSeconds: Histogram<'source'>;
  private readonly deliverySeconds: Histogram;
  private readonly slackSeconds: Histogram<'method'>;
  private readonly slackFailures: Counter<'method' | 'cause'>;
  private readonly s3Seconds: Histogram<'operation'>;
  private readonly s3Failures: Counter<'operation' | 'cause'>;
  private readonly roundSeconds: Gauge;
  private readonly roundFinishedAt: Gauge;
  private readonly now: () => number;
  private readonly readEveryMs: number;
  private queueDepth: () => Promise<QueueDepth | undefined> = async () => undefined;
  private outboxDepth: () => Promise<OutboxDepth | undefined> = async () => undefined;

  constructor(options: PrometheusMetricsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.readEveryMs = options.readEveryMs ?? 5000;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.checks = new Counter({
      name: 's3d_checks_total',
      help: 'Checks of saved destinations, by the path that ran them and what they found',
      labelNames: ['source', 'outcome'],
      registers,
    });
    this.checkSeconds = new Histogram({
      name: 's3d_check_duration_seconds',
      help: 'How long a check of a destination took',
      labelNames: ['source'],
      buckets: CALL_BUCKETS,
      registers,
    });
    this.deliverySeconds = new Histogram({
      name: 's3d_outbox_delivery_latency_seconds',
      help: 'From a change event recorded to the loader’s webhook accepting it',
      buckets: LONG_BUCKETS,
      registers,
    });
    this.slackSeconds = new Histogram({
      name: 's3d_slack_call_duration_seconds',
      help: 'Slack Web API calls by method',
      labelNames: ['method'],
      buckets: CALL_BUCKETS,
      registers,
    });
    this.slackFailures = new Counter({
      name: 's3d_slack_call_failures_total',
      help: 'Slack Web API calls that got no answer, HTTP 5xx (unavailable) or HTTP 429 (rate_limited)',
      labelNames: ['method', 'cause'],
      registers,
    });
    this.s3Seconds = new Histogram({
      name: 's3d_s3_call_duration_seconds',
      help: 'S3 calls by operation',
      labelNames: ['operation'],
      buckets: CALL_BUCKETS,
      registers,
    });
    this.s3Failures = new Counter({
      name: 's3d_s3_call_failures_total',
      help: 'S3 calls S3 did not answer properly (unavailable) or that the bot’s credentials failed (credentials)',
      labelNames: ['operation', 'cause'],
      registers,
    });
    this.roundSeconds = new Gauge({
      name: 's3d_monitor_last_round_duration_seconds',
      help: 'How long the last monitor round this replica finished took, from its opening',
      registers,
    });
    this.roundFinishedAt = new Gauge({
      name: 's3d_monitor_last_round_finished_timestamp_seconds',
      help: 'When this replica last finished a monitor round (Unix time)',
      registers,
    });
    this.queueGauges();
    this.outboxGauges();
  }

  /**
   * This replica runs the monitor, a round every `intervalSeconds`: its queue depth is read from
   * `source`, and the interval is shown so that an alert can tell a round that is late.
   */
  watchMonitor(intervalSeconds: number, source: QueueDepthSource): void {
    this.queueDepth = spacedRead(source, this.readEveryMs, this.now);
    new Gauge({
      name: 's3d_monitor_interval_seconds',
      help: 'How often this replica’s monitor opens a round (MONITOR_INTERVAL_SECONDS)',
      registers: [this.registry],
    }).set(intervalSeconds);
  }

  /** Where the outbox's backlog is read from (the app has an outbox). */
  watchOutbox(source: OutboxDepthSource): void {
    this.outboxDepth = spacedRead(source, this.readEveryMs, this.now);
  }

  checkFinished(source: CheckSource, outcome: CheckOutcome, seconds: number): void {
    this.checks.inc({ source, outcome });
    this.checkSeconds.observe({ source }, seconds);
  }

  eventDelivered(seconds: number): void {
    this.deliverySeconds.observe(seconds);
  }

  slackCall(method: string, seconds: number, failure?: SlackCallFailure): void {
    const name = closedName(method);
    this.slackSeconds.observe({ method: name }, seconds);
    if (failure) this.slackFailures.inc({ method: name, cause: failure });
  }

  s3Call(operation: string, seconds: number, failure?: S3CallFailure): void {
    const name = closedName(operation);
    this.s3Seconds.observe({ operation: name }, seconds);
    if (failure) this.s3Failures.inc({ operation: name, cause: failure });
  }

  roundFinished(seconds: number): void {
    this.roundSeconds.set(seconds);
    this.roundFinishedAt.set(Date.now() / 1000);
  }

  private queueGauges(): void {
    const gauge = new Gauge({
      name: 's3d_monitor_jobs',
      help: 'The monitor’s jobs in the shared queue, by state (every replica reports the same queue)',
      labelNames: ['state'],
      registers: [this.registry],
      collect: async () => {
        const depth = await this.queueDepth();
        if (!depth) return;
        for (const [state, count] of Object.entries(depth)) gauge.set({ state }, count);
      },
    });
  }

  private outboxGauges(): void {
    const read = () => this.outboxDepth();
    const pending = new Gauge({
      name: 's3d_outbox_pending_events',
      help: 'Change events waiting in the outbox for the loader’s webhook',
      registers: [this.registry],
      collect: async () => {
        const depth = await read();
        if (depth) pending.set(depth.pending);
      },
    });
    const dead = new Gauge({
      name: 's3d_outbox_dead_letters',
      help: 'Change events the webhook never accepted, kept as dead letters',
      registers: [this.registry],
      collect: async () => {
        const depth = await read();
        if (depth) dead.set(depth.deadLetters);
      },
    });
  }
}

/**
 * A method or operation name as a label: only the characters such names have, and bounded, so a
 * label can never carry anything else.
 */
function closedName(name: string): string {
  return /^[A-Za-z][A-Za-z0-9_.]{0,63}$/.test(name) ? name : 'other';
}
