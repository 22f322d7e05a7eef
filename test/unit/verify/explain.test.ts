import { S3ServiceException } from '@aws-sdk/client-s3';
import {
  CHALLENGE_NOT_FOUND_TEXT,
  classifyS3Error,
  explainCheck,
  isOperatorFault,
  type ExplainContext,
  type S3ErrorClassification,
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
    ['HEAD 403', s3Error('Unknown', 403), 'challenge', { outcome: 'access_denied' }],
    ['AccessDenied body', s3Error('AccessDenied', 403), 'write', { outcome: 'access_denied' }],
    [
      'HeadBucket 403 with the region header',
      s3Error('Unknown', 403, REGION_HEADER('eu-west-2')),
      'region',
      { outcome: 'access_denied', bucketRegion: 'eu-west-2' },
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
      { outcome: 'unreachable' },
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
      { outcome: 'unreachable' },
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
    ['S3 RequestTimeout', s3Error('RequestTimeout', 400), 'write', { outcome: 'timeout' }],
    [
      'InternalError body',
      s3Error('InternalError', 500),
      'list',
      { outcome: 'unexpected', detail: 'InternalError, HTTP 500' },
    ],
    [
      'HEAD 500',
      s3Error('Unknown', 500),
      'challenge',
      { outcome: 'unexpected', detail: 'HTTP 500' },
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
      outcome: 'unexpected',
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

  test('every failure text gives the problem, then on its own line the fix', () => {
    const failures: CheckOutcome[] = [
      'not_found',
      'access_denied',
      'no_such_bucket',
      'wrong_region',
      'timeout',
      'unreachable',
      'no_credentials',
      'unexpected',
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
    ['timeout', true],
    ['ok', false],
    ['skipped', false],
    ['not_found', false],
    ['access_denied', false],
    ['no_such_bucket', false],
    ['wrong_region', false],
    ['unexpected', false],
  ])('%s → %s', (outcome, expected) => {
    expect(isOperatorFault(outcome)).toBe(expected);
  });
});
