import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { toApiDestination } from '../../src/api/schemas';
import type { RedisOutbox } from '../../src/store/outbox';
import { changeEventSchema, type ChangeEvent, type ChangeType } from '../../src/events/types';
import { savedDestination } from './fixtures';

/** A Standard Webhooks secret made of one repeated byte: `whsec_` and base64 of 32 bytes. */
export const webhookSecret = (fill: number) => `whsec_${Buffer.alloc(32, fill).toString('base64')}`;

/** What the receiver answers to one verified event. */
export type Answer =
  | number
  | { readonly status: number; readonly location: string }
  /** Never answers (until the receiver stops). */
  | 'hang';

export interface Received {
  readonly event: ChangeEvent;
  readonly headers: Record<string, string>;
}

/**
 * A loader's webhook over real HTTP. Every request must verify with the `standardwebhooks`
 * library under each of `secrets` alone (a request failing one is noted in `rejected` and
 * answered 401); `answer` decides the rest. `received` holds the events answered 2xx.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  /** Every verified request, answered or not, in arrival order. */
  readonly attempts: ChangeEvent[] = [];
  readonly rejected: string[] = [];
  /** Requests to any path but /events (where a followed redirect would land). */
  readonly elsewhere: string[] = [];
  answer: (event: ChangeEvent) => Answer = () => 200;
  port = 0;
  private server?: Server;
  private readonly hanging = new Set<ServerResponse>();

  constructor(private readonly secrets: readonly string[]) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    if (req.url !== '/events') {
      this.elsewhere.push(req.url ?? '');
      res.writeHead(200).end();
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([name, value]) => [name, String(value)]),
    );
    try {
      for (const secret of this.secrets) new Webhook(secret).verify(body, headers);
    } catch (error) {
      this.rejected.push(`${String(error)}: ${body}`);
      res.writeHead(401).end();
      return;
    }
    const event = changeEventSchema.parse(JSON.parse(body));
    this.attempts.push(event);
    const answer = this.answer(event);
    if (answer === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (typeof answer === 'number') {
      if (answer >= 200 && answer < 300) this.received.push({ event, headers });
      res.writeHead(answer).end();
      return;
    }
    res.writeHead(answer.status, { location: answer.location }).end();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/events`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.hanging.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }

  /** Resolves once `done` holds, checked every few milliseconds; fails after `timeoutMs`. */
  async until(done: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const limit = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > limit) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  /** Resolves with the received events once `count` have arrived. */
  async waitFor(count: number, timeoutMs = 15_000): Promise<ChangeEvent[]> {
    await this.until(
      () => this.received.length >= count,
      `${count} events (got ${this.received.length})`,
      timeoutMs,
    );
    return this.received.map((r) => r.event);
  }
}

/**
 * Writes events into the delivery stream as the store's change scripts do: numbered 1, 2, 3…
 * per destination. `append` returns the event and its entry, for tests that append it again.
 */
export class EventSource {
  private readonly sequences = new Map<string, number>();

  constructor(private readonly outbox: RedisOutbox) {}

  event(teamId: string, bucket: string, type: ChangeType, seq?: number): ChangeEvent {
    const key = `${teamId}/${bucket}`;
    const sequence = seq ?? (this.sequences.get(key) ?? 0) + 1;
    this.sequences.set(key, Math.max(sequence, this.sequences.get(key) ?? 0));
    return {
      id: randomUUID(),
      type,
      occurred_at: new Date().toISOString(),
      sequence,
      destination: toApiDestination(savedDestination(teamId, bucket)),
    };
  }

  async append(event: ChangeEvent): Promise<string> {
    return this.outbox.append({
      teamId: event.destination.team_id,
      bucket: event.destination.bucket,
      seq: event.sequence,
      body: JSON.stringify(event),
    });
  }

  /** A new event of the destination, appended; resolves with it. */
  async change(teamId: string, bucket: string, type: ChangeType): Promise<ChangeEvent> {
    const event = this.event(teamId, bucket, type);
    await this.append(event);
    return event;
  }
}
