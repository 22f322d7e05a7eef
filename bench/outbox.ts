import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { toApiDestination } from '../src/api/schemas';
import { startDelivery } from '../src/events/delivery';
import { RedisOutbox } from '../src/store/outbox';
import type { ChangeEvent } from '../src/events/types';
import { createLogger } from '../src/log/logger';
import { createRedisClient, waitForRedis } from '../src/store';
import type { BenchEnvironment } from './environment';
import { benchDestination } from './fixtures';
import { percentile, type Verdict } from './report';

const SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
/** Destinations the events belong to: delivery keeps each one's events in order. */
const DESTINATIONS = 100;
/** The latency runs: events appended one at a time, this far apart, while delivery runs. */
const PACED_EVENTS = 500;
const PACE_MS = 10;
const WAIT_LIMIT_MS = 120_000;
const HEALTHY_P99_TARGET_MS = 200;
const HANG_P99_TARGET_MS = 1000;

export interface OutboxFigure {
  readonly events: number;
  readonly destinations: number;
  /** The backlog of `events`, delivered by one replica: seconds and events per second. */
  readonly seconds: number;
  readonly perSecond: number;
  /** Events appended at a steady pace while delivery runs: from the append to its receipt. */
  readonly pacedEvents: number;
  readonly pacedPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  /** The same, for the other destinations while the receiver hangs on one. */
  readonly hangLatencyP50Ms: number;
  readonly hangLatencyP99Ms: number;
  /** Requests the receiver refused for a bad signature (none expected). */
  readonly badSignatures: number;
}

/**
 * A loader's webhook on loopback: verifies every request with the standardwebhooks library,
 * notes when each event arrived; never answers for the bucket `hangOn` names.
 */
async function startReceiver(onEvent: (id: string) => void) {
  const webhook = new Webhook(SECRET);
  const hanging: ServerResponse[] = [];
  let badSignatures = 0;
  let hangOn: string | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([name, value]) => [name, String(value)]),
      );
      let event: ChangeEvent;
      try {
        event = webhook.verify(body, headers) as ChangeEvent;
      } catch {
        badSignatures += 1;
        res.writeHead(401).end();
        return;
      }
      if (event.destination.bucket === hangOn) {
        hanging.push(res);
        return;
      }
      onEvent(event.id);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    badSignatures: () => badSignatures,
    hangOn: (bucket: string | undefined) => {
      hangOn = bucket;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Numbers events per destination, as the store's change scripts do, and appends them. */
function eventSource(outbox: RedisOutbox) {
  const sequences = new Map<string, number>();
  return async (bucket: string): Promise<string> => {
    const sequence = (sequences.get(bucket) ?? 0) + 1;
    sequences.set(bucket, sequence);
    const event: ChangeEvent = {
      id: randomUUID(),
      type: sequence === 1 ? 'destination.connected' : 'destination.updated',
      occurred_at: new Date().toISOString(),
      sequence,
      destination: toApiDestination({ ...benchDestination('TBENCHEVENTS', bucket), version: 1 }),
    };
    await outbox.append({
      teamId: 'TBENCHEVENTS',
      bucket,
      seq: sequence,
      body: JSON.stringify(event),
    });
    return event.id;
  };
}

async function until(done: () => boolean, what: string): Promise<void> {
  const limit = Date.now() + WAIT_LIMIT_MS;
  while (!done()) {
    if (Date.now() > limit) throw new Error(`outbox: ${what} not done in time`);
    await sleep(5);
  }
}

/**
 * The outbox's delivery: `events` change events appended to the Redis stream, then delivered by
 * one replica (startDelivery with its defaults, as index.ts starts it) over HTTP to a receiver
 * that verifies every signature; then the latency of events appended one at a time while
 * delivery runs, first with a healthy receiver, then with one that hangs on one destination.
 */
export async function measureOutbox(
  env: BenchEnvironment,
  events: number,
  progress: (line: string) => void,
): Promise<OutboxFigure> {
  const redis = createRedisClient(env.redisUrl, { keyPrefix: `${env.keyPrefix}outbox:` });
  const appendedAt = new Map<string, number>();
  const latencies: number[] = [];
  const receiver = await startReceiver((id) => {
    const appended = appendedAt.get(id);
    if (appended === undefined) return;
    appendedAt.delete(id);
    latencies.push(performance.now() - appended);
  });
  const problems: string[] = [];
  const logger = createLogger({
    level: 'error',
    secrets: [SECRET],
    destination: { write: (line: string) => problems.push(line) },
  });
  let delivery: ReturnType<typeof startDelivery> | undefined;
  try {
    await waitForRedis(redis, 5000);
    const outbox = new RedisOutbox(redis);
    const append = eventSource(outbox);
    const bucket = (index: number) => `${env.bucketTag}-events-${index % DESTINATIONS}`;
    progress(`outbox: appending ${events} events over ${DESTINATIONS} destinations`);
    for (let index = 0; index < events; index += 1) appendedAt.set(await append(bucket(index)), 0);
    progress('outbox: delivering them');
    const started = performance.now();
    delivery = startDelivery(outbox, { url: receiver.url, secrets: [SECRET], logger });
    await until(() => latencies.length === events, 'the backlog');
    const seconds = (performance.now() - started) / 1000;

    const paced = async (buckets: (index: number) => string) => {
      latencies.length = 0;
      const pacedStarted = performance.now();
      for (let index = 0; index < PACED_EVENTS; index += 1) {
        const id = await append(buckets(index));
        appendedAt.set(id, performance.now());
        await sleep(PACE_MS);
      }
      const pacedSeconds = (performance.now() - pacedStarted) / 1000;
      await until(() => latencies.length === PACED_EVENTS, 'the paced events');
      return { perSecond: PACED_EVENTS / pacedSeconds, latencies: [...latencies] };
    };
    progress(`outbox: ${PACED_EVENTS} events appended ${PACE_MS} ms apart while delivery runs`);
    const healthy = await paced(bucket);

    const stuck = `${env.bucketTag}-events-hanging`;
    progress(`outbox: the same while the receiver hangs on one destination`);
    receiver.hangOn(stuck);
    await append(stuck);
    const hang = await paced((index) => bucket(index + 1));
    if (problems.length > 0) progress(`outbox logged ${problems.length} problems: ${problems[0]}`);
    return {
      events,
      destinations: DESTINATIONS,
      seconds,
      perSecond: events / seconds,
      pacedEvents: PACED_EVENTS,
      pacedPerSecond: healthy.perSecond,
      latencyP50Ms: percentile(healthy.latencies, 0.5),
      latencyP99Ms: percentile(healthy.latencies, 0.99),
      hangLatencyP50Ms: percentile(hang.latencies, 0.5),
      hangLatencyP99Ms: percentile(hang.latencies, 0.99),
      badSignatures: receiver.badSignatures(),
    };
  } finally {
    receiver.hangOn(undefined);
    await receiver.close();
    await delivery?.stop();
    await redis.quit().catch(() => redis.disconnect());
  }
}

export function outboxLines(figure: OutboxFigure): string[] {
  return [
    'Outbox delivery: change events from the Redis stream to a webhook on loopback that verifies every',
    '  signature (standardwebhooks); one replica, startDelivery with its defaults, in this process',
    `  a backlog of ${figure.events} events over ${figure.destinations} destinations: ` +
      `${figure.seconds.toFixed(1)} s, ${figure.perSecond.toFixed(0)} events/s`,
    `  ${figure.pacedEvents} events appended one at a time (${figure.pacedPerSecond.toFixed(0)}/s) while delivery runs: ` +
      `from append to receipt p50 ${figure.latencyP50Ms.toFixed(1)} ms, p99 ${figure.latencyP99Ms.toFixed(1)} ms`,
    `  the same while the receiver hangs on one other destination: ` +
      `p50 ${figure.hangLatencyP50Ms.toFixed(1)} ms, p99 ${figure.hangLatencyP99Ms.toFixed(1)} ms` +
      (figure.badSignatures > 0
        ? `; ${figure.badSignatures} BAD SIGNATURES`
        : '; every signature valid'),
  ];
}

export function outboxVerdicts(figure: OutboxFigure): Verdict[] {
  return [
    {
      figure: `outbox delivery, ${figure.events} events`,
      measured: `${figure.perSecond.toFixed(0)} events/s`,
      target: 'none set (reported)',
    },
    {
      figure: 'event latency, healthy receiver (p99)',
      measured: `${figure.latencyP99Ms.toFixed(0)} ms`,
      target: `≤ ${HEALTHY_P99_TARGET_MS} ms`,
      met: figure.latencyP99Ms <= HEALTHY_P99_TARGET_MS && figure.badSignatures === 0,
    },
    {
      figure: 'event latency of other destinations, receiver hanging on one (p99)',
      measured: `${figure.hangLatencyP99Ms.toFixed(0)} ms`,
      target: `≤ ${HANG_P99_TARGET_MS} ms`,
      met: figure.hangLatencyP99Ms <= HANG_P99_TARGET_MS,
    },
  ];
}
