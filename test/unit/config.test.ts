import { ConfigError, parseConfig } from '../../src/config';

const minimal = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_SIGNING_SECRET: 'shhh-secret',
  POLICY_PRINCIPAL_ARN: 'arn:aws:iam::123456789012:role/loader',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const config = parseConfig(minimal);

    expect(config).toMatchObject({
      PORT: 3000,
      SESSION_TTL_SECONDS: 86400,
      MONITOR_INTERVAL_SECONDS: 3600,
      LOG_LEVEL: 'info',
      S3_FORCE_PATH_STYLE: false,
      AWS_REGION: 'us-east-1',
      ADMIN_USER_IDS: [],
    });
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.SLACK_APP_TOKEN).toBeUndefined();
  });

  it.each([
    'redis://127.0.0.1:6379',
    'rediss://default:secret@cache.example.com:6380/1',
    'redis-sentinel://s1:26379,s2:26379/mymaster',
    'rediss-cluster://n1:7000,n2:7000',
  ])('accepts REDIS_URL %s', (url) => {
    expect(parseConfig({ ...minimal, REDIS_URL: url }).REDIS_URL).toBe(url);
  });

  it('says what is wrong with a REDIS_URL', () => {
    expect(problemsOf({ ...minimal, REDIS_URL: 'redis-sentinel://s1:26379' })).toEqual([
      expect.stringMatching(/^REDIS_URL.*must name the Sentinel primary/),
    ]);
  });

  it('names every missing required variable in one message', () => {
    const error = (() => {
      try {
        parseConfig({});
      } catch (e) {
        return e as ConfigError;
      }
    })();

    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toContain('SLACK_BOT_TOKEN');
    expect(error?.message).toContain('POLICY_PRINCIPAL_ARN');
    expect(error?.message).toContain('SLACK_SIGNING_SECRET');
  });

  it('reports each malformed variable at once', () => {
    const problems = problemsOf({
      ...minimal,
      SLACK_BOT_TOKEN: 'xoxp-user-token',
      PORT: 'eighty',
      REDIS_URL: 'http://localhost',
      S3_FORCE_PATH_STYLE: 'yes',
      LOG_LEVEL: 'loud',
      POLICY_PRINCIPAL_ARN: 'loader-role',
      SLACK_APP_TOKEN: 'not-an-app-token',
      ADMIN_USER_IDS: 'U123,alice',
      SESSION_TTL_SECONDS: '-5',
    });

    const named = problems.map((p) => p.split(' ')[0]).sort();
    expect(named).toEqual([
      'ADMIN_USER_IDS',
      'LOG_LEVEL',
      'POLICY_PRINCIPAL_ARN',
      'PORT',
      'REDIS_URL',
      'S3_FORCE_PATH_STYLE',
      'SESSION_TTL_SECONDS',
      'SLACK_APP_TOKEN',
      'SLACK_BOT_TOKEN',
    ]);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('reads the boolean %j as %s', (value, expected) => {
    expect(parseConfig({ ...minimal, S3_FORCE_PATH_STYLE: value }).S3_FORCE_PATH_STYLE).toBe(
      expected,
    );
  });

  it.each(['TRUE', 'yes', 'on', ''])('refuses the boolean %j', (value) => {
    if (value === '') {
      // An empty value is no value: the default applies.
      expect(parseConfig({ ...minimal, S3_FORCE_PATH_STYLE: value }).S3_FORCE_PATH_STYLE).toBe(
        false,
      );
      return;
    }
    expect(problemsOf({ ...minimal, S3_FORCE_PATH_STYLE: value })[0]).toMatch(
      /^S3_FORCE_PATH_STYLE/,
    );
  });

  it('needs no signing secret in Socket Mode', () => {
    const config = parseConfig({
      SLACK_BOT_TOKEN: minimal.SLACK_BOT_TOKEN,
      POLICY_PRINCIPAL_ARN: minimal.POLICY_PRINCIPAL_ARN,
      SLACK_APP_TOKEN: 'xapp-1-A1-abc',
    });

    expect(config.SLACK_APP_TOKEN).toBe('xapp-1-A1-abc');
  });

  it('accepts GovCloud and China principals and splits admin ids', () => {
    const config = parseConfig({
      ...minimal,
      POLICY_PRINCIPAL_ARN: 'arn:aws-us-gov:iam::123456789012:role/path/loader',
      ADMIN_USER_IDS: ' U012AB , W0CD ',
    });

    expect(config.ADMIN_USER_IDS).toEqual(['U012AB', 'W0CD']);
  });
});
