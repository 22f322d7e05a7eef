import { ConfigError, parseConfig } from '../../../src/config';
import { signEvent, verifyEventSignature } from '../../../src/events/signature';

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
        LOADER_WEBHOOK_SECRET: 's',
        REDIS_URL: 'redis://127.0.0.1:6379',
      }),
    ).toEqual([]);
    expect(
      problems({ ...minimal, LOADER_WEBHOOK_URL: 'loader', LOADER_WEBHOOK_SECRET: 's' }),
    ).toContain('LOADER_WEBHOOK_URL must be an http(s) URL for the loader’s change events');
  });
});

describe('event signatures', () => {
  const body = '{"id":"e1"}';
  const now = 1_700_000_000;

  test('are v1= and the hex HMAC-SHA256 of "v1:<timestamp>:<body>"', () => {
    expect(signEvent('s', now, body)).toMatch(/^v1=[0-9a-f]{64}$/);
  });

  test('verify with the right secret and a recent timestamp only', () => {
    const signature = signEvent('s', now, body);
    const headers = { timestamp: String(now), signature };
    expect(verifyEventSignature('s', headers, body, now)).toBe(true);
    expect(verifyEventSignature('other', headers, body, now)).toBe(false);
    expect(verifyEventSignature('s', headers, `${body} `, now)).toBe(false);
    expect(verifyEventSignature('s', headers, body, now + 301)).toBe(false);
    expect(verifyEventSignature('s', { timestamp: 'x', signature }, body, now)).toBe(false);
  });
});
