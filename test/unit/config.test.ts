import { ConfigError, oauthSettingsFrom, parseConfig, principalsFrom } from '../../src/config';

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

  it('serves the metrics on every address unless METRICS_HOST says which', () => {
    expect(parseConfig({ ...minimal, METRICS_PORT: '9464' }).METRICS_HOST).toBe('0.0.0.0');
    for (const host of ['127.0.0.1', '::1', '::', 'metrics.internal', 'localhost']) {
      expect(parseConfig({ ...minimal, METRICS_HOST: host }).METRICS_HOST).toBe(host);
    }
  });

  it.each(['http://127.0.0.1', '127.0.0.1:9464', 'bad host', '-leading.example'])(
    'refuses METRICS_HOST %j',
    (host) => {
      expect(problemsOf({ ...minimal, METRICS_HOST: host })).toEqual([
        expect.stringMatching(/^METRICS_HOST must be an IP address or a host name/),
      ]);
    },
  );

  it('needs no signing secret in Socket Mode', () => {
    const config = parseConfig({
      SLACK_BOT_TOKEN: minimal.SLACK_BOT_TOKEN,
      POLICY_PRINCIPAL_ARN: minimal.POLICY_PRINCIPAL_ARN,
      SLACK_APP_TOKEN: 'xapp-1-A1-abc',
    });

    expect(config.SLACK_APP_TOKEN).toBe('xapp-1-A1-abc');
  });

  it('splits admin ids', () => {
    const config = parseConfig({ ...minimal, ADMIN_USER_IDS: ' U012AB , W0CD ' });

    expect(config.ADMIN_USER_IDS).toEqual(['U012AB', 'W0CD']);
  });
});

describe('parseConfig: principals per partition', () => {
  const CN = 'arn:aws-cn:iam::123456789012:role/loader';
  const US_GOV = 'arn:aws-us-gov:iam::123456789012:role/path/loader';

  it('gives each partition its principal, and its profile', () => {
    const config = parseConfig({
      ...minimal,
      POLICY_PRINCIPAL_ARN_CN: CN,
      POLICY_PRINCIPAL_ARN_US_GOV: US_GOV,
      AWS_PROFILE_CN: 'china-loader',
      AWS_PROFILE_US_GOV: 'govcloud-loader',
      STS_ENDPOINT: 'https://sts.example.internal',
    });

    expect(principalsFrom(config)).toEqual({
      aws: minimal.POLICY_PRINCIPAL_ARN,
      'aws-cn': CN,
      'aws-us-gov': US_GOV,
    });
    expect(config).toMatchObject({
      AWS_PROFILE_CN: 'china-loader',
      AWS_PROFILE_US_GOV: 'govcloud-loader',
      STS_ENDPOINT: 'https://sts.example.internal',
    });
  });

  it('serves only the aws partition by default', () => {
    expect(principalsFrom(parseConfig(minimal))).toEqual({ aws: minimal.POLICY_PRINCIPAL_ARN });
  });

  it.each([
    [
      'POLICY_PRINCIPAL_ARN',
      US_GOV,
      /must be an ARN of the aws partition.*POLICY_PRINCIPAL_ARN_US_GOV/,
    ],
    [
      'POLICY_PRINCIPAL_ARN',
      CN,
      /not arn:aws-cn:; an aws-cn principal belongs in POLICY_PRINCIPAL_ARN_CN/,
    ],
    ['POLICY_PRINCIPAL_ARN_CN', minimal.POLICY_PRINCIPAL_ARN, /of the aws-cn partition/],
    ['POLICY_PRINCIPAL_ARN_US_GOV', CN, /of the aws-us-gov partition/],
    ['POLICY_PRINCIPAL_ARN_CN', 'arn:aws-iso:iam::123456789012:role/loader', /not arn:aws-iso:$/],
  ])('refuses in %s an ARN of another partition: %s', (variable, arn, problem) => {
    const problems = problemsOf({ ...minimal, [variable]: arn });

    expect(problems).toEqual([expect.stringMatching(new RegExp(`^${variable} `))]);
    expect(problems[0]).toMatch(problem);
  });

  it.each([
    ['an empty path segment', 'arn:aws:iam::123456789012:role//x', /empty path segment/],
    ['a trailing /', 'arn:aws:iam::123456789012:role/path/', /ends with "\/"/],
    ['an empty name', 'arn:aws:iam::123456789012:role/', /empty role name/],
    ['a 65-character role name', `arn:aws:iam::123456789012:role/${'r'.repeat(65)}`, /at most 64/],
    ['a 65-character user name', `arn:aws:iam::123456789012:user/${'u'.repeat(65)}`, /at most 64/],
    ['a 603-character path', `arn:aws:iam::123456789012:role/${'p'.repeat(600)}/x`, /at most 512/],
    ['a * in the name', 'arn:aws:iam::123456789012:role/a*b', /characters IAM does not allow/],
    ['no account id', 'arn:aws:iam:::role/loader', /no account id/],
    ['a 10-digit account id', 'arn:aws:iam::1234567890:role/loader', /12-digit/],
    ['a tenant for an account', 'arn:aws:iam::tenant:user/loader', /12-digit/],
    ['no ARN at all', 'loader-role', /IAM role or user ARN/],
  ])('refuses a POLICY_PRINCIPAL_ARN with %s', (_name, arn, problem) => {
    const problems = problemsOf({ ...minimal, POLICY_PRINCIPAL_ARN: arn });

    expect(problems).toEqual([expect.stringMatching(/^POLICY_PRINCIPAL_ARN /)]);
    expect(problems[0]).toMatch(problem);
  });

  it.each(['arn:aws:iam:::user/loader', 'arn:aws:iam::tenant:user/loader'])(
    'accepts %s for an S3-compatible engine (S3_ENDPOINT)',
    (arn) => {
      const config = parseConfig({
        ...minimal,
        POLICY_PRINCIPAL_ARN: arn,
        S3_ENDPOINT: 'http://127.0.0.1:7480',
      });

      expect(config.POLICY_PRINCIPAL_ARN).toBe(arn);
    },
  );

  it('still refuses a malformed ARN with S3_ENDPOINT set', () => {
    const problems = problemsOf({
      ...minimal,
      POLICY_PRINCIPAL_ARN: 'arn:aws:iam:::user/',
      S3_ENDPOINT: 'http://127.0.0.1:7480',
    });

    expect(problems).toEqual([expect.stringMatching(/^POLICY_PRINCIPAL_ARN .*empty user name/)]);
  });

  it('refuses a profile for a partition without a principal', () => {
    expect(problemsOf({ ...minimal, AWS_PROFILE_US_GOV: 'gov' })).toEqual([
      expect.stringMatching(/^AWS_PROFILE_US_GOV is set but POLICY_PRINCIPAL_ARN_US_GOV is not/),
    ]);
  });

  it('reports every principal problem at once, with the rest', () => {
    const problems = problemsOf({
      ...minimal,
      POLICY_PRINCIPAL_ARN: 'arn:aws:iam::123456789012:role//x',
      POLICY_PRINCIPAL_ARN_CN: minimal.POLICY_PRINCIPAL_ARN,
      POLICY_PRINCIPAL_ARN_US_GOV: 'arn:aws-us-gov:iam::123:role/x',
      AWS_PROFILE_CN: 'china',
      STS_ENDPOINT: 'sts.amazonaws.com',
      PORT: 'eighty',
    });

    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual([
      'POLICY_PRINCIPAL_ARN',
      'POLICY_PRINCIPAL_ARN_CN',
      'POLICY_PRINCIPAL_ARN_US_GOV',
      'PORT',
      'STS_ENDPOINT',
    ]);
  });
});

describe('parseConfig: keys for secrets at rest', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const previous = Buffer.alloc(32, 9).toString('base64');

  it('reads neither key by default: secrets are stored as they are', () => {
    const config = parseConfig(minimal);

    expect(config.STORE_ENCRYPTION_KEY).toBeUndefined();
    expect(config.STORE_ENCRYPTION_KEY_PREVIOUS).toBeUndefined();
  });

  it('accepts a 32-byte base64 key, and a previous one beside it', () => {
    const config = parseConfig({
      ...minimal,
      STORE_ENCRYPTION_KEY: ` ${key} `,
      STORE_ENCRYPTION_KEY_PREVIOUS: previous,
    });

    expect(config.STORE_ENCRYPTION_KEY).toBe(key);
    expect(config.STORE_ENCRYPTION_KEY_PREVIOUS).toBe(previous);
  });

  it.each([
    ['not base64', 'correct horse battery staple', /must be base64/],
    ['16 bytes', Buffer.alloc(16, 1).toString('base64'), /must be 32 bytes in base64, not 16/],
    ['64 bytes', Buffer.alloc(64, 1).toString('base64'), /must be 32 bytes in base64, not 64/],
  ])('says what is wrong with a key that is %s, naming each variable', (_, bad, message) => {
    const problems = problemsOf({
      ...minimal,
      STORE_ENCRYPTION_KEY: bad,
      STORE_ENCRYPTION_KEY_PREVIOUS: bad,
    });

    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`^STORE_ENCRYPTION_KEY ${message.source}`)),
      expect.stringMatching(new RegExp(`^STORE_ENCRYPTION_KEY_PREVIOUS ${message.source}`)),
    ]);
    expect(problems.join('\n')).toContain('openssl rand -base64 32');
  });

  it('refuses a previous key without a current one', () => {
    expect(problemsOf({ ...minimal, STORE_ENCRYPTION_KEY_PREVIOUS: previous })).toEqual([
      expect.stringMatching(
        /^STORE_ENCRYPTION_KEY_PREVIOUS is set but STORE_ENCRYPTION_KEY is not/,
      ),
    ]);
  });

  it('reports a bad key with every other problem at once', () => {
    const problems = problemsOf({ ...minimal, PORT: 'eighty', STORE_ENCRYPTION_KEY: 'short' });

    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(['PORT', 'STORE_ENCRYPTION_KEY']);
  });
});

describe('parseConfig: one workspace or many (OAuth)', () => {
  const withoutToken = {
    SLACK_SIGNING_SECRET: minimal.SLACK_SIGNING_SECRET,
    POLICY_PRINCIPAL_ARN: minimal.POLICY_PRINCIPAL_ARN,
  };
  const oauth = {
    ...withoutToken,
    SLACK_CLIENT_ID: '1111.2222',
    SLACK_CLIENT_SECRET: 'client-secret',
    SLACK_STATE_SECRET: 'state-secret',
    STORE_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    REDIS_URL: 'redis://127.0.0.1:6379',
  };

  it('selects OAuth mode with the three OAuth variables and no bot token', () => {
    const config = parseConfig(oauth);
    expect(oauthSettingsFrom(config)).toEqual({
      clientId: '1111.2222',
      clientSecret: 'client-secret',
      stateSecret: 'state-secret',
    });
    expect(config.UNINSTALL_RETENTION_SECONDS).toBe(30 * 86400);
    expect(oauthSettingsFrom(parseConfig(minimal))).toBeUndefined();
  });

  it('asks for a bot token or the OAuth variables when neither is set', () => {
    expect(problemsOf(withoutToken)).toEqual([
      'SLACK_BOT_TOKEN is required (the bot token, xoxb-…), or set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET to serve many workspaces with OAuth',
    ]);
  });

  it('names every OAuth problem at once', () => {
    const problems = problemsOf({ ...minimal, SLACK_CLIENT_ID: '1111.2222' });
    expect(problems).toEqual([
      'SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET, SLACK_STATE_SECRET are not: OAuth mode needs all three',
      'SLACK_BOT_TOKEN must be unset in OAuth mode (SLACK_CLIENT_ID …): each workspace’s token comes from its installation',
      'STORE_ENCRYPTION_KEY is required in OAuth mode: it encrypts the workspaces’ tokens in Redis (openssl rand -base64 32)',
      'REDIS_URL is required in OAuth mode: installations and OAuth state live in Redis so that every replica can use them',
    ]);
  });

  it('refuses ADMIN_USER_IDS in OAuth mode, saying where each workspace’s admins are', () => {
    expect(problemsOf({ ...oauth, ADMIN_USER_IDS: 'U012AB' })).toEqual([
      'ADMIN_USER_IDS must be unset in OAuth mode: each workspace has its own admins (who installed the app, the workspace’s owners and admins, and the people they add in the App Home’s Admins section)',
    ]);
  });

  it('refuses a retention that is not a whole number of seconds', () => {
    expect(problemsOf({ ...oauth, UNINSTALL_RETENTION_SECONDS: '0' })).toEqual([
      'UNINSTALL_RETENTION_SECONDS must be a whole number from 1 to 31536000',
    ]);
  });
});
