import { ConfigError, parseConfig } from '../../../src/config';
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { EventSigner, WEBHOOK_HEADERS } from '../../../src/events/signing';

const secret = (fill: number) => `whsec_${Buffer.alloc(32, fill).toString('base64')}`;

const minimal = {
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'secret',
  POLICY_PRINCIPAL_ARN: 'arn:aws:iam::123456789012:role/loader',
};

function problems(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('loader configuration', () => {
  test('LOADER_API_TOKENS is a trimmed comma-separated list; unset, the API is off', () => {
    expect(parseConfig(minimal).LOADER_API_TOKENS).toEqual([]);
    expect(parseConfig({ ...minimal, LOADER_API_TOKENS: ' a1 , ,b2' }).LOADER_API_TOKENS).toEqual([
      'a1',
      'b2',
    ]);
  });

  test('the webhook needs its secret and Redis', () => {
    expect(problems({ ...minimal, LOADER_WEBHOOK_URL: 'https://loader.example/events' })).toEqual([
      'LOADER_WEBHOOK_URL and LOADER_WEBHOOK_SECRET must be set together',
      'LOADER_WEBHOOK_URL needs REDIS_URL: the change events wait in a Redis stream',
    ]);
    expect(
      problems({
        ...minimal,
        LOADER_WEBHOOK_URL: 'https://loader.example/events',
        LOADER_WEBHOOK_SECRET: secret(1),
        REDIS_URL: 'redis://127.0.0.1:6379',
      }),
    ).toEqual([]);
    expect(
      problems({ ...minimal, LOADER_WEBHOOK_URL: 'loader', LOADER_WEBHOOK_SECRET: secret(1) }),
    ).toContain('LOADER_WEBHOOK_URL must be an http(s) URL for the loader’s change events');
  });

  test('LOADER_WEBHOOK_SECRET holds one or several whsec_ secrets, space-separated', () => {
    const env = {
      ...minimal,
      LOADER_WEBHOOK_URL: 'https://loader.example/events',
      REDIS_URL: 'redis://127.0.0.1:6379',
    };
    expect(
      parseConfig({ ...env, LOADER_WEBHOOK_SECRET: ` ${secret(1)}  ${secret(2)} ` }),
    ).toMatchObject({ LOADER_WEBHOOK_SECRET: [secret(1), secret(2)] });
    expect(parseConfig(minimal).LOADER_WEBHOOK_SECRET).toEqual([]);
  });

  test('a secret that is not whsec_ and base64 is refused, saying how to make one', () => {
    const env = { ...minimal, LOADER_WEBHOOK_URL: 'https://loader.example/events' };
    const how = 'make one with: echo "whsec_$(openssl rand -base64 32)"';
    expect(problems({ ...env, LOADER_WEBHOOK_SECRET: 'plain-old-secret' })).toContain(
      `LOADER_WEBHOOK_SECRET has a secret (number 1) that does not start with whsec_; ${how}`,
    );
    expect(problems({ ...env, LOADER_WEBHOOK_SECRET: `${secret(1)} whsec_not*base64` })).toContain(
      `LOADER_WEBHOOK_SECRET has a secret (number 2) that is not whsec_ followed by base64; ${how}`,
    );
    expect(problems({ ...env, LOADER_WEBHOOK_SECRET: 'whsec_c2hvcnQ=' })).toContain(
      `LOADER_WEBHOOK_SECRET has a secret (number 1) that holds fewer than 24 bytes; ${how}`,
    );
  });

  test('the refusal never repeats the secret itself', () => {
    const bad = 'whsec_not*base64-but-secret';
    const env = { ...minimal, LOADER_WEBHOOK_URL: 'https://loader.example/events' };
    expect(problems({ ...env, LOADER_WEBHOOK_SECRET: bad }).join('\n')).not.toContain(bad);
  });
});

describe('event signatures (Standard Webhooks)', () => {
  const body = '{"id":"evt_1","sequence":1}';
  const at = new Date();

  test('are v1, and the base64 HMAC-SHA256 of "<id>.<timestamp>.<body>" keyed with the decoded secret', () => {
    const headers = new EventSigner([secret(1)]).headers('evt_1', body, at);
    const timestamp = String(Math.floor(at.getTime() / 1000));
    // Computed here as the specification states it, not with the library.
    const key = Buffer.alloc(32, 1);
    const digest = createHmac('sha256', key).update(`evt_1.${timestamp}.${body}`).digest('base64');
    expect(headers).toEqual({
      [WEBHOOK_HEADERS.id]: 'evt_1',
      [WEBHOOK_HEADERS.timestamp]: timestamp,
      [WEBHOOK_HEADERS.signature]: `v1,${digest}`,
    });
  });

  test('each secret signs: a receiver holding either one alone verifies', () => {
    const headers = new EventSigner([secret(1), secret(2)]).headers('evt_1', body, at);
    expect(headers[WEBHOOK_HEADERS.signature].split(' ')).toHaveLength(2);
    for (const held of [secret(1), secret(2)]) {
      expect(new Webhook(held).verify(body, headers)).toEqual({ id: 'evt_1', sequence: 1 });
    }
    expect(() => new Webhook(secret(3)).verify(body, headers)).toThrow('No matching signature');
    expect(() => new Webhook(secret(1)).verify(`${body} `, headers)).toThrow();
  });
});
