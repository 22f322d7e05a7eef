import { S3ServiceException } from '@aws-sdk/client-s3';
import { classifyS3Error, type S3ErrorClassification } from '../../../src/verify/classify-s3-error';
import {
  CHALLENGE_NOT_FOUND_TEXT,
  explainCheck,
  isOperatorFault,
  isTransient,
  type ExplainContext,
} from '../../../src/verify/explain';
import { CHECK_NAMES, type CheckName, type CheckOutcome } from '../../../src/verify/report';

/** An error shaped as the SDK throws it: HEAD errors carry no body, so their name is "Unknown". */
function s3Error(
  name: string,
  status: number,
  options: { headers?: Record<string, string>; fields?: Record<string, unknown> } = {},
): S3ServiceException {
  const error = new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, attempts: 1 },
    message: name === 'Unknown' ? 'UnknownError' : `${name} message`,
  });
  Object.assign(error, options.fields);
  // The SDK attaches the raw response as a non-enumerable property.
  Object.defineProperty(error, '$response', {
    value: { statusCode: status, headers: options.headers ?? {}, body: undefined },
  });
  return error;
}

function nodeError(message: string, code: string, name = 'Error'): Error {
  return Object.assign(new Error(message), { code, name });
}

const REGION_HEADER = (region: string) => ({ headers: { 'x-amz-bucket-region': region } });

describe('classifyS3Error', () => {
  const cases: [string, unknown, CheckName | undefined, S3ErrorClassification][] = [
    ['HeadObject 404', s3Error('NotFound', 404), 'challenge', { outcome: 'not_found' }],
    ['404 without a check', s3Error('NotFound', 404), undefined, { outcome: 'not_found' }],
    ['HeadBucket 404', s3Error('NotFound', 404), 'region', { outcome: 'no_such_bucket' }],
    ['NoSuchKey body', s3Error('NoSuchKey', 404), 'challenge', { outcome: 'not_found' }],
    ['NoSuchBucket body', s3Error('NoSuchBucket', 404), 'list', { outcome: 'no_such_bucket' }],
    [
      'HEAD 403',
      s3Error('Unknown', 403),
      'challenge',
      { outcome: 'access_denied', detail: 'HTTP 403' },
    ],
    [
      'AccessDenied body',
      s3Error('AccessDenied', 403),
      'write',
      { outcome: 'access_denied', detail: 'AccessDenied, HTTP 403' },
    ],
    [
      'a denial naming KMS',
      Object.assign(s3Error('AccessDenied', 403), {
        message:
          'User: arn:aws:iam::123456789012:role/loader is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:us-east-1:111122223333:key/1',
      }),
      'write',
      { outcome: 'kms_denied', detail: 'AccessDenied, HTTP 403' },
    ],
    [
      'a KMS error code',
      s3Error('KMS.DisabledException', 400),
      'write',
      { outcome: 'kms_denied', detail: 'KMS.DisabledException, HTTP 400' },
    ],
    [
      'HeadBucket 403 with the region header',
      s3Error('Unknown', 403, REGION_HEADER('eu-west-2')),
      'region',
      { outcome: 'access_denied', bucketRegion: 'eu-west-2', detail: 'HTTP 403' },
    ],
    [
      'HEAD 301 with the region header',
      s3Error('Unknown', 301, REGION_HEADER('eu-west-1')),
      'challenge',
      { outcome: 'wrong_region', bucketRegion: 'eu-west-1' },
    ],
    [
      'PermanentRedirect body and header',
      s3Error('PermanentRedirect', 301, REGION_HEADER('ap-southeast-2')),
      'list',
      { outcome: 'wrong_region', bucketRegion: 'ap-southeast-2' },
    ],
    [
      'PermanentRedirect with only the Endpoint',
      s3Error('PermanentRedirect', 301, {
        fields: { Endpoint: 'my-bucket.s3.eu-west-1.amazonaws.com' },
      }),
      'write',
      { outcome: 'wrong_region', bucketRegion: 'eu-west-1' },
    ],
    ['redirect with no region', s3Error('Unknown', 301), 'region', { outcome: 'wrong_region' }],
    [
      'AuthorizationHeaderMalformed naming the region',
      s3Error('AuthorizationHeaderMalformed', 400, { fields: { Region: 'us-west-2' } }),
      'list',
      { outcome: 'wrong_region', bucketRegion: 'us-west-2' },
    ],
    [
      'AuthorizationHeaderMalformed naming no region',
      s3Error('AuthorizationHeaderMalformed', 400),
      'list',
      { outcome: 'unexpected', detail: 'AuthorizationHeaderMalformed, HTTP 400' },
    ],
    [
      'no credentials in the chain',
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
      'challenge',
      { outcome: 'no_credentials' },
    ],
    [
      'credentials message only',
      new Error('Could not load credentials from any providers'),
      'list',
      { outcome: 'no_credentials' },
    ],
    [
      'InvalidAccessKeyId',
      s3Error('InvalidAccessKeyId', 403),
      'list',
      { outcome: 'no_credentials' },
    ],
    [
      'SignatureDoesNotMatch',
      s3Error('SignatureDoesNotMatch', 403),
      'write',
      { outcome: 'no_credentials' },
    ],
    ['ExpiredToken', s3Error('ExpiredToken', 400), 'list', { outcome: 'no_credentials' }],
    [
      'connection refused',
      nodeError('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'),
      'list',
      { outcome: 'unreachable' },
    ],
    [
      'unknown host',
      nodeError('getaddrinfo ENOTFOUND s3.example', 'ENOTFOUND'),
      'list',
      { outcome: 'unreachable' },
    ],
    [
      'connection reset (the SDK names it TimeoutError)',
      nodeError('socket hang up', 'ECONNRESET', 'TimeoutError'),
      'write',
      { outcome: 'transient' },
    ],
    [
      'every address refused',
      new AggregateError([nodeError('connect ECONNREFUSED ::1:1', 'ECONNREFUSED')]),
      'region',
      { outcome: 'unreachable' },
    ],
    [
      'connection refused, as the SDK wraps an error from another realm',
      new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:1'),
      'list',
      { outcome: 'unreachable' },
    ],
    [
      'connection reset, as the SDK wraps an error from another realm',
      new Error('AWS SDK error wrapper for TimeoutError: socket hang up'),
      'list',
      { outcome: 'transient' },
    ],
    [
      'timeout, as the SDK wraps an error from another realm',
      new Error('AWS SDK error wrapper for TimeoutError: Connection timed out after 300 ms'),
      'list',
      { outcome: 'timeout' },
    ],
    [
      'request timeout',
      nodeError('exceeded the configured requestTimeout', 'ETIMEDOUT', 'TimeoutError'),
      'challenge',
      { outcome: 'timeout' },
    ],
    [
      'aborted call',
      Object.assign(new Error('Request aborted'), { name: 'AbortError' }),
      'challenge',
      { outcome: 'timeout' },
    ],
    [
      'S3 RequestTimeout',
      s3Error('RequestTimeout', 400),
      'write',
      { outcome: 'transient', detail: 'RequestTimeout, HTTP 400' },
    ],
    [
      'InternalError body',
      s3Error('InternalError', 500),
      'list',
      { outcome: 'transient', detail: 'InternalError, HTTP 500' },
    ],
    [
      'SlowDown',
      s3Error('SlowDown', 503),
      'write',
      { outcome: 'transient', detail: 'SlowDown, HTTP 503' },
    ],
    [
      'HEAD 500',
      s3Error('Unknown', 500),
      'challenge',
      { outcome: 'transient', detail: 'HTTP 500' },
    ],
    [
      'HEAD 502',
      s3Error('Unknown', 502),
      'challenge',
      { outcome: 'transient', detail: 'HTTP 502' },
    ],
    [
      'an unknown 4xx',
      s3Error('InvalidRequest', 400),
      'write',
      { outcome: 'unexpected', detail: 'InvalidRequest, HTTP 400' },
    ],
    [
      'ServiceUnavailable',
      s3Error('ServiceUnavailable', 503),
      'list',
      { outcome: 'transient', detail: 'ServiceUnavailable, HTTP 503' },
    ],
    [
      'HEAD 503',
      s3Error('Unknown', 503),
      'challenge',
      { outcome: 'transient', detail: 'HTTP 503' },
    ],
    ['HEAD 504', s3Error('Unknown', 504), 'region', { outcome: 'transient', detail: 'HTTP 504' }],
    [
      'a denial naming only an S3 action stays an access denial',
      Object.assign(s3Error('AccessDenied', 403), {
        message:
          'User: arn:aws:iam::123456789012:role/loader is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::acme-data/_s3_destination_write_check" with an explicit deny in a service control policy',
      }),
      'write',
      { outcome: 'access_denied', detail: 'AccessDenied, HTTP 403' },
    ],
    [
      'a KMS key in a disabled state',
      s3Error('KMS.KMSInvalidStateException', 400),
      'write',
      { outcome: 'kms_denied', detail: 'KMS.KMSInvalidStateException, HTTP 400' },
    ],
    ['a string', 'boom', 'list', { outcome: 'unexpected' }],
    ['null', null, 'list', { outcome: 'unexpected' }],
  ];

  test.each(cases)('%s', (_label, error, check, expected) => {
    expect(classifyS3Error(error, check)).toEqual(expected);
  });

  test('never puts text it cannot vouch for into the detail', () => {
    const echoed = s3Error('s3-destination-challenge-file-<script>', 500);

    expect(classifyS3Error(echoed, 'challenge')).toEqual({
      outcome: 'transient',
      detail: 'HTTP 500',
    });
  });
});

describe('explainCheck', () => {
  const context = { bucket: 'acme-data', region: 'us-east-1' };

  test('a missing challenge file gets the reference text verbatim, then the fix', () => {
    const text = explainCheck('challenge', 'not_found', context);

    expect(text.startsWith(`${CHALLENGE_NOT_FOUND_TEXT}\n`)).toBe(true);
    expect(CHALLENGE_NOT_FOUND_TEXT).toBe(
      'An error occurred (404) when calling the HeadObject operation: Not Found',
    );
    expect(text).toMatch(/blank file/);
    expect(text).toMatch(/named exactly as shown in your setup message/);
  });

  const texts: [string, CheckName, CheckOutcome, Partial<ExplainContext>, RegExp[]][] = [
    [
      'challenge 403 blames the policy or its principal',
      'challenge',
      'access_denied',
      {},
      [/bucket policy is missing, or it was written for another principal/],
    ],
    ['list 403 names s3:ListBucket', 'list', 'access_denied', {}, [/missing `s3:ListBucket`/]],
    ['write 403 names s3:PutObject', 'write', 'access_denied', {}, [/missing `s3:PutObject`/]],
    [
      'a wrong region names both regions and the fix',
      'region',
      'wrong_region',
      { actualRegion: 'eu-west-1' },
      [/^The bucket is in eu-west-1, not us-east-1\./, /choose eu-west-1/],
    ],
    [
      'a redirect from another check says the same',
      'list',
      'wrong_region',
      { actualRegion: 'eu-west-1' },
      [/^The bucket is in eu-west-1, not us-east-1\./],
    ],
    [
      'a redirect without a region still says where to look',
      'write',
      'wrong_region',
      {},
      [/not in us-east-1/, /choose the bucket's region/],
    ],
    [
      'a skipped region check says so and why',
      'region',
      'skipped',
      {},
      [/^Skipped/, /did not report the bucket's region/],
    ],
    [
      'a missing bucket',
      'list',
      'no_such_bucket',
      {},
      [/`acme-data` does not exist/, /spelling/, /account/],
    ],
    [
      'missing credentials are the operator’s',
      'challenge',
      'no_credentials',
      {},
      [/problem with the bot's own AWS credentials, not your bucket/, /ask whoever runs the bot/i],
    ],
    [
      'an unreachable endpoint is the operator’s',
      'list',
      'unreachable',
      {},
      [/could not connect to S3/, /bot's side/, /ask whoever runs the bot/i],
    ],
    ['a timeout', 'write', 'timeout', {}, [/did not answer in time/]],
    [
      'an unexpected error shows its code',
      'list',
      'unexpected',
      { detail: 'InternalError, HTTP 500' },
      [/unexpected error \(InternalError, HTTP 500\)/],
    ],
  ];

  test.each(texts)('%s', (_label, check, outcome, extra, patterns) => {
    const text = explainCheck(check, outcome, { ...context, ...extra });

    for (const pattern of patterns) expect(text).toMatch(pattern);
  });

  const principalArn = 'arn:aws:iam::123456789012:role/s3-destination-bot';

  /** The key-policy statement a kms_denied text shows, parsed from its inline code. */
  function statementIn(text: string): Record<string, unknown> {
    const json = /`(\{.*\})`/.exec(text)?.[1];
    if (json === undefined) throw new Error(`no statement in: ${text}`);
    return JSON.parse(json) as Record<string, unknown>;
  }

  test('a KMS denial shows the key-policy statement for the principal, with S3’s code', () => {
    const text = explainCheck('write', 'kms_denied', {
      ...context,
      detail: 'AccessDenied, HTTP 403',
      principalArn,
    });

    expect(text).toMatch(/^S3 refused \(AccessDenied, HTTP 403\) because .*AWS KMS key/);
    expect(text).toMatch(/key policy/);
    expect(statementIn(text)).toEqual({
      Sid: expect.any(String),
      Effect: 'Allow',
      Principal: { AWS: principalArn },
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: '*',
    });
  });

  test('a KMS denial without a known principal still shows the statement, naming where the principal is', () => {
    const text = explainCheck('write', 'kms_denied', context);

    const statement = statementIn(text);
    expect(statement.Action).toEqual(['kms:GenerateDataKey', 'kms:Decrypt']);
    expect(JSON.stringify(statement.Principal)).toMatch(/principal in the bucket policy/);
    expect(text).not.toMatch(/undefined|\(\)/);
  });

  test.each([...CHECK_NAMES])(
    'an access denial on %s keeps S3’s code and says what else may deny',
    (check) => {
      const text = explainCheck(check, 'access_denied', {
        ...context,
        detail: 'AccessDenied, HTTP 403',
      });

      expect(text).toMatch(/^Access denied \(AccessDenied, HTTP 403\) when the bot /);
      expect(text).toMatch(/an explicit Deny in the bucket policy/);
      expect(text).toMatch(/SCP or RCP/);
      expect(text).toMatch(/Requester Pays/);
    },
  );

  test('a bodiless 403 keeps the status it had', () => {
    const text = explainCheck('challenge', 'access_denied', { ...context, detail: 'HTTP 403' });

    expect(text).toMatch(/^Access denied \(HTTP 403\) when the bot read the challenge file/);
  });

  test('a transient answer shows S3’s code and says there is nothing to fix', () => {
    const text = explainCheck('write', 'transient', { ...context, detail: 'SlowDown, HTTP 503' });

    expect(text).toMatch(/^S3 did not answer properly \(SlowDown, HTTP 503\)/);
    expect(text).toMatch(/Nothing to fix on your side/);
    expect(text).not.toMatch(/bucket policy/);
  });

  test('a transient answer without a code says the same, with no empty brackets', () => {
    const text = explainCheck('challenge', 'transient', context);

    expect(text).toMatch(/^S3 did not answer properly, so this check could not finish/);
    expect(text).toMatch(/Nothing to fix on your side/);
  });

  test.each(['list', 'write', 'ownership'] as const)(
    'a %s check that did not run says the challenge file comes first',
    (check) => {
      const text = explainCheck(check, 'not_run', context);

      expect(text).toMatch(/^Not checked/);
      expect(text).toMatch(/nothing is written into a bucket not proven to be yours/);
      expect(text).toMatch(/Fix the challenge file, then check again/);
    },
  );

  test('objects owned by the bot are a warning that names the Object Ownership setting', () => {
    const text = explainCheck('ownership', 'owner_differs', context);

    expect(text).toMatch(/^Warning/);
    expect(text).toMatch(/ACLs enabled/);
    expect(text).toMatch(/"Bucket owner enforced \(ACLs disabled\)"/);
    expect(text).toMatch(/The destination is saved either way/);
  });

  test('an engine that reports no owners skips ownership, and says there is nothing to fix', () => {
    const text = explainCheck('ownership', 'skipped', context);

    expect(text).toMatch(/^Skipped: the S3 endpoint did not report object owners/);
    expect(text).toMatch(/Nothing to fix/);
  });

  test('a challenge file with a new owner says the bucket changed hands and what to do', () => {
    const text = explainCheck('challenge', 'changed_hands', context);

    expect(text).toMatch(/challenge file in `acme-data` now belongs to another owner/);
    expect(text).toMatch(/the bucket changed hands/);
    expect(text).toMatch(/run setup again/);
    expect(text).toMatch(/remove this destination/);
  });

  test('no text holds a raw < or >, which Slack would read as a link or a mention', () => {
    const outcomes: CheckOutcome[] = [
      'ok',
      'skipped',
      'not_run',
      'not_found',
      'access_denied',
      'kms_denied',
      'no_such_bucket',
      'wrong_region',
      'owner_differs',
      'changed_hands',
      'transient',
      'timeout',
      'unreachable',
      'no_credentials',
      'unexpected',
    ];
    for (const check of CHECK_NAMES) {
      for (const outcome of outcomes) {
        expect(explainCheck(check, outcome, context)).not.toMatch(/[<>]/);
      }
    }
  });

  test('every failure text gives the problem, then on its own line the fix', () => {
    const failures: CheckOutcome[] = [
      'not_found',
      'access_denied',
      'no_such_bucket',
      'wrong_region',
      'timeout',
      'transient',
      'unreachable',
      'no_credentials',
      'unexpected',
      'not_run',
      'kms_denied',
      'changed_hands',
      'owner_differs',
    ];
    for (const check of CHECK_NAMES) {
      for (const outcome of failures) {
        expect(explainCheck(check, outcome, context).split('\n')).toHaveLength(2);
      }
    }
  });

  test('no text ever names a challenge file', () => {
    const outcomes: CheckOutcome[] = [
      'ok',
      'skipped',
      'not_found',
      'access_denied',
      'no_such_bucket',
      'wrong_region',
      'timeout',
      'unreachable',
      'no_credentials',
      'unexpected',
      'transient',
      'not_run',
      'kms_denied',
      'changed_hands',
      'owner_differs',
    ];
    for (const check of CHECK_NAMES) {
      for (const outcome of outcomes) {
        const text = explainCheck(check, outcome, { ...context, actualRegion: 'eu-west-1' });
        expect(text).not.toMatch(/s3-destination-challenge-file/);
        expect(text.length).toBeGreaterThan(0);
      }
    }
  });
});

describe('isOperatorFault', () => {
  test.each<[CheckOutcome, boolean]>([
    ['no_credentials', true],
    ['unreachable', true],
    ['timeout', false],
    ['transient', false],
    ['ok', false],
    ['skipped', false],
    ['not_found', false],
    ['access_denied', false],
    ['no_such_bucket', false],
    ['wrong_region', false],
    ['unexpected', false],
    ['kms_denied', false],
    ['not_run', false],
    ['owner_differs', false],
    ['changed_hands', false],
  ])('%s → %s', (outcome, expected) => {
    expect(isOperatorFault(outcome)).toBe(expected);
  });
});

describe('isTransient', () => {
  test.each<[CheckOutcome, boolean]>([
    ['transient', true],
    ['timeout', true],
    ['unreachable', false],
    ['no_credentials', false],
    ['access_denied', false],
    ['kms_denied', false],
    ['not_run', false],
    ['changed_hands', false],
    ['unexpected', false],
  ])('%s → %s', (outcome, expected) => {
    expect(isTransient(outcome)).toBe(expected);
  });
});
