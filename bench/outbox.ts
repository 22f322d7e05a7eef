import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { toApiDestination } from '../src/api/schemas';
import { startDelivery } from '../src/events/delivery';
import { RedisOutbox } from '../src/events/outbox';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyEventSignature } from '../src/events/signature';
import type { ChangeEvent } from '../src/events/types';
import { createLogger } from '../src/log/logger';
import { createRedisClient, waitForRedis } from '../src/store';
import type { BenchEnvironment } from './environment';
import { benchDestination } from './fixtures';
import { percentile, type Verdict } from './report';

const SECRET = 'bench-webhook-secret-0123456789';
/** Destinations the events belong to: delivery keeps each one's events in order. */
const DESTINATIONS = 100;
/** The latency run: events recorded one at a time, this far apart, while delivery runs. */
const PACED_EVENTS = 500;
const PACE_MS = 10;
const WAIT_LIMIT_MS = 120_000;

export interface OutboxFigure {
  readonly events: number;
  readonly destinations: number;
  /** The backlog of `events`, delivered by one replica: seconds and events per second. */
  readonly seconds: number;
  readonly perSecond: number;
  /** Events recorded at a steady pace while delivery runs: from the record to its receipt. */
  readonly pacedEvents: number;
  readonly pacedPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  /** Requests the receiver refused for a bad signature (none expected). */
  readonly badSignatures: number;
}

/** A loader's webhook on loopback: checks every signature, notes when each event arrived. */
async function startReceiver(onEvent: (id: string) => void) {
  let badSignatures = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        timestamp: String(req.headers[TIMESTAMP_HEADER]),
        signature: String(req.headers[SIGNATURE_HEADER]),
      };
      if (!verifyEventSignature(SECRET, headers, body)) {
        badSignatures += 1;
        res.writeHead(401).end();
        return;
      }
      onEvent((JSON.parse(body) as ChangeEvent).id);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    badSignatures: () => badSignatures,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function changeEvent(env: BenchEnvironment, index: number): ChangeEvent {
  const bucket = `${env.bucketTag}-events-${index % DESTINATIONS}`;
  return {
    id: randomUUID(),
    type: index < DESTINATIONS ? 'destination.connected' : 'destination.updated',
    occurred_at: new Date().toISOString(),
    sequence: Math.floor(index / DESTINATIONS) + 1,
    destination: toApiDestination({ ...benchDestination('TBENCHEVENTS', bucket), version: 1 }),
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
 * The outbox's delivery rate: `events` change events recorded in the Redis outbox, then delivered
 * by one replica (startDelivery with its defaults, as index.ts starts it) over HTTP to a receiver
 * that checks every signature; then the latency of events recorded one at a time meanwhile.
 */
export async function measureOutbox(
  env: BenchEnvironment,
  events: number,
  progress: (line: string) => void,
): Promise<OutboxFigure> {
  const redis = createRedisClient(env.redisUrl, { keyPrefix: `${env.keyPrefix}outbox:` });
  const recordedAt = new Map<string, number>();
  const latencies: number[] = [];
  const receiver = await startReceiver((id) => {
    const recorded = recordedAt.get(id);
    if (recorded === undefined) return;
    recordedAt.delete(id);
    latencies.push(performance.now() - recorded);
  });
  const problems: string[] = [];
  const logger = createLogger({
    level: 'warn',
    secrets: [SECRET],
    destination: { write: (line: string) => problems.push(line) },
  });
  let delivery: ReturnType<typeof startDelivery> | undefined;
  try {
    await waitForRedis(redis, 5000);
    const outbox = new RedisOutbox(redis);
    progress(`outbox: recording ${events} events over ${DESTINATIONS} destinations`);
    for (let index = 0; index < events; index += 1) {
      const event = changeEvent(env, index);
      recordedAt.set(event.id, 0);
      await outbox.record(event);
    }
    progress('outbox: delivering them');
    const started = performance.now();
    delivery = startDelivery(outbox, { url: receiver.url, secret: SECRET, logger });
    await until(() => latencies.length === events, 'the backlog');
    const seconds = (performance.now() - started) / 1000;

    progress(`outbox: ${PACED_EVENTS} events recorded ${PACE_MS} ms apart while delivery runs`);
    latencies.length = 0;
    const pacedStarted = performance.now();
    for (let index = 0; index < PACED_EVENTS; index += 1) {
      const event = changeEvent(env, index + events);
      recordedAt.set(event.id, performance.now());
      await outbox.record(event);
      await sleep(PACE_MS);
    }
    const pacedSeconds = (performance.now() - pacedStarted) / 1000;
    await until(() => latencies.length === PACED_EVENTS, 'the paced events');
    if (problems.length > 0) progress(`outbox logged ${problems.length} problems: ${problems[0]}`);
    return {
      events,
      destinations: DESTINATIONS,
      seconds,
      perSecond: events / seconds,
      pacedEvents: PACED_EVENTS,
      pacedPerSecond: PACED_EVENTS / pacedSeconds,
      latencyP50Ms: percentile(latencies, 0.5),
      latencyP99Ms: percentile(latencies, 0.99),
      badSignatures: receiver.badSignatures(),
    };
  } finally {
    await delivery?.stop();
    await receiver.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}

export function outboxLines(figure: OutboxFigure): string[] {
  return [
    'Outbox delivery: change events from the Redis stream to a webhook on loopback that checks every',
    '  signature; one replica, startDelivery with its defaults (batch 100, poll 500 ms), in this process',
    `  a backlog of ${figure.events} events over ${figure.destinations} destinations: ` +
      `${figure.seconds.toFixed(1)} s, ${figure.perSecond.toFixed(0)} events/s`,
    `  ${figure.pacedEvents} events recorded one at a time (${figure.pacedPerSecond.toFixed(0)}/s) while delivery runs: ` +
      `from record to receipt p50 ${figure.latencyP50Ms.toFixed(1)} ms, p99 ${figure.latencyP99Ms.toFixed(1)} ms` +
      (figure.badSignatures > 0
        ? `; ${figure.badSignatures} BAD SIGNATURES`
        : '; every signature valid'),
  ];
}

export function outboxVerdicts(figure: OutboxFigure): Verdict[] {
  return [
    {
      figure: `outbox delivery, ${figure.events} events`,
      measured: `${figure.perSecond.toFixed(0)} events/s, p99 ${figure.latencyP99Ms.toFixed(0)} ms`,
      target: 'none set (reported)',
    },
  ];
}
