import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { SlackStandIn } from './slack-stand-in';

/** What the app sent back for one envelope: its id and, for some events, a response payload. */
export interface EnvelopeAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

/**
 * Slack's side of Socket Mode on loopback: `apps.connections.open` (answered by the Web API
 * stand-in) hands out this server's WebSocket URL; once the app connects it gets `hello`, and
 * `deliver` sends it an event envelope and resolves with the app's acknowledgement.
 */
export interface SocketModeStandIn {
  /** Resolves when an app has connected and been greeted. */
  connected(timeoutMs?: number): Promise<void>;
  deliver(
    type: 'slash_commands' | 'interactive' | 'events_api',
    payload: Record<string, unknown>,
    timeoutMs?: number,
  ): Promise<EnvelopeAck>;
  /** Resolves once the app has closed its connection (its close handshake done). */
  disconnected(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSocketModeStandIn(slack: SlackStandIn): Promise<SocketModeStandIn> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  slack.answer('apps.connections.open', { url: `ws://127.0.0.1:${port}/link/?ticket=test` });

  let socket: WebSocket | undefined;
  const onConnect = new Set<() => void>();
  const onDisconnect = new Set<() => void>();
  const pendingAcks = new Map<string, (ack: EnvelopeAck) => void>();

  server.on('connection', (ws) => {
    socket = ws;
    ws.on('close', () => {
      if (socket === ws) socket = undefined;
      onDisconnect.forEach((wake) => wake());
    });
    ws.on('message', (data) => {
      const ack = JSON.parse(String(data)) as EnvelopeAck;
      pendingAcks.get(ack.envelope_id)?.(ack);
      pendingAcks.delete(ack.envelope_id);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'stand-in', approximate_connection_time: 18060 },
        connection_info: { app_id: 'A0APP' },
      }),
    );
    onConnect.forEach((wake) => wake());
  });

  const within = <T>(what: string, timeoutMs: number, promise: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not happen in time`)), timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  };

  return {
    connected(timeoutMs = 15_000) {
      if (socket) return Promise.resolve();
      return within(
        'a Socket Mode connection',
        timeoutMs,
        new Promise<void>((resolve) => onConnect.add(resolve)),
      );
    },
    disconnected(timeoutMs = 15_000) {
      if (!socket) return Promise.resolve();
      return within(
        'the app closing its connection',
        timeoutMs,
        new Promise<void>((resolve) => onDisconnect.add(resolve)),
      );
    },
    deliver(type, payload, timeoutMs = 10_000) {
      if (!socket) return Promise.reject(new Error('no app is connected'));
      const envelopeId = randomUUID();
      const acked = new Promise<EnvelopeAck>((resolve) => pendingAcks.set(envelopeId, resolve));
      socket.send(
        JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: true }),
      );
      return within(`an acknowledgement of ${type}`, timeoutMs, acked);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.clients.forEach((client) => client.terminate());
        server.close(() => resolve());
      }),
  };
}
