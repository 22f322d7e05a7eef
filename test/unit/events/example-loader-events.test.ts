import { eventFromTheBot } from '../../../examples/loader/loader';
import { toApiDestination } from '../../../src/api/schemas';
import { EventSigner } from '../../../src/events/signing';
import type { ChangeEvent } from '../../../src/events/types';
import { savedDestination } from '../../support/fixtures';

const secret = (fill: number) => `whsec_${Buffer.alloc(32, fill).toString('base64')}`;
const event: ChangeEvent = {
  id: 'evt_1',
  type: 'destination.connected',
  occurred_at: '2025-01-01T00:00:00.000Z',
  sequence: 1,
  destination: toApiDestination(savedDestination('T1', 'lake')),
};
const body = JSON.stringify(event);

/** The headers the bot sends, signed with `secrets` by the bot's own code, at `at`. */
const signed = (secrets: string[], at = new Date()) =>
  new EventSigner(secrets).headers(event.id, body, at);

describe('the example loader’s check of change events', () => {
  test('accepts the bot’s events, signed with its secret among others', () => {
    expect(eventFromTheBot(secret(1), signed([secret(1)]), body)).toEqual(event);
    expect(eventFromTheBot(secret(2), signed([secret(1), secret(2)]), body)).toEqual(event);
  });

  test('refuses another secret, a changed body and an old timestamp', () => {
    expect(eventFromTheBot(secret(3), signed([secret(1)]), body)).toBeUndefined();
    expect(eventFromTheBot(secret(1), signed([secret(1)]), `${body} `)).toBeUndefined();
    const old = new Date(Date.now() - 600_000);
    expect(eventFromTheBot(secret(1), signed([secret(1)], old), body)).toBeUndefined();
  });

  test('refuses a timestamp that is not a number, and one carrying part of the body', () => {
    const headers = signed([secret(1)]);
    const notANumber = { ...headers, 'webhook-timestamp': 'soon' };
    expect(eventFromTheBot(secret(1), notANumber, body)).toBeUndefined();
    // Part of the body moved into the timestamp header: the signed text no longer matches.
    const prefix = body.slice(0, body.indexOf(':') + 1);
    const moved = {
      ...headers,
      'webhook-timestamp': `${headers['webhook-timestamp']}.${prefix}`,
    };
    expect(eventFromTheBot(secret(1), moved, body.slice(prefix.length))).toBeUndefined();
  });
});
