import OpenAPIBackend from 'openapi-backend';
import { decodeCursor, encodeCursor } from '../../src/api/cursor';
import type { ApiDestination, ApiError, DestinationPage } from '../../src/api/schemas';
import { createRedisStores, destinationKey, destinationsKey, type Stores } from '../../src/store';
import { testRedis, type TestRedis } from '../support/redis';
import { startTestApp, type TestApp } from '../support/test-app';
import { savedDestination } from '../support/fixtures';
import { DEFAULT_KEY_TEMPLATE } from '../../src/domain/key-template';

const TOKENS = ['loader-token-one-0123456789', 'loader-token-two-0123456789'];
const ROLE_ACCESS = {
  type: 'iam_role',
  roleArn: 'arn:aws:iam::222222222222:role/s3-destination',
  externalId: 'Zx81kq0PLmA7vR3tYc5uW9eN2bH4jD6fG8sK1oQa',
} as const;
/** 1,000 destinations over 3 workspaces, unevenly. */
const WORKSPACES: Record<string, number> = { TALPHA: 500, TBRAVO: 1, TCHARLIE: 499 };

let redis: TestRedis;
let stores: Stores;
let app: TestApp;
let base: string;
let openApi: OpenAPIBackend;
/** Every saved (team, bucket) in the order the API must give them. */
const expected: string[] = [];

beforeAll(async () => {
  redis = await testRedis();
  stores = createRedisStores(redis.client, 3600);
  for (const [teamId, count] of Object.entries(WORKSPACES)) {
    await Promise.all(
      Array.from({ length: count }, async (_, index) => {
        const bucket = `bucket-${String(index).padStart(4, '0')}`;
        const destination = {
          ...savedDestination(teamId, bucket),
          connectedAt: '2025-01-01T00:00:00.000Z',
        };
        if (index % 2 === 1) {
          destination.settings = { ...destination.settings, format: 'csv', csvDelimiter: 'tab' };
        }
        if (teamId === 'TALPHA' && index === 4) {
          destination.settings = { ...destination.settings, access: ROLE_ACCESS };
        }
        await stores.destinations.save(destination);
      }),
    );
    for (let index = 0; index < count; index += 1) {
      expected.push(`${teamId}/bucket-${String(index).padStart(4, '0')}`);
    }
  }
  // A bucket left in a team's set without its value, and a corrupt value: pages skip both.
  await redis.client.sadd(destinationsKey('TBRAVO'), 'bucket-0000-gone');
  await redis.client.sadd(destinationsKey('TALPHA'), 'bucket-0003-corrupt');
  await redis.client.set(destinationKey('TALPHA', 'bucket-0003-corrupt'), 'not json');
  app = await startTestApp({ stores, settings: { loaderApiTokens: TOKENS } });
  base = app.url.replace('/slack/events', '');
  const document = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as object;
  openApi = new OpenAPIBackend({ definition: document as never, quick: true });
  await openApi.init();
}, 60_000);

afterAll(async () => {
  await app?.stop();
  await redis?.cleanup();
});

/** GETs `path` with the first token, another token, or (null) none. */
const get = (path: string, token: string | null = TOKENS[0]) =>
  fetch(`${base}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

/** The body, after checking it against the OpenAPI document for this operation and status. */
async function validBody<T = ApiError>(response: Response, operationId: string): Promise<T> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body: unknown = await response.json();
  const result = openApi.validateResponse(body, operationId, response.status);
  expect(result.errors ?? []).toEqual([]);
  return body as T;
}

describe('authentication', () => {
  test.each([
    ['no token', null],
    ['an unknown token', 'not-a-token'],
    ['a token one character short', TOKENS[0].slice(0, -1)],
  ])('refuses %s with 401 and a JSON error', async (_, token) => {
    for (const [path, operation] of [
      ['/api/v1/destinations', 'listDestinations'],
      ['/api/v1/destinations/TALPHA/bucket-0000', 'getDestination'],
    ]) {
      const response = await get(path, token);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(await validBody(response, operation)).toEqual({
        error: 'unauthorized',
        message: expect.any(String),
      });
    }
  });

  test('refuses a scheme other than Bearer', async () => {
    const response = await fetch(`${base}/api/v1/destinations`, {
      headers: { authorization: `Basic ${TOKENS[0]}` },
    });
    expect(response.status).toBe(401);
  });

  test('takes every configured token', async () => {
    for (const token of TOKENS) {
      expect((await get('/api/v1/destinations?limit=1', token)).status).toBe(200);
    }
  });

  test('serves the OpenAPI document without a token', async () => {
    const response = await get('/api/v1/openapi.json', null);
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      components: { schemas: Record<string, unknown> };
    };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.components.schemas).sort()).toEqual([
      'Access',
      'ChangeEvent',
      'Destination',
      'DestinationPage',
      'Error',
      'LastCheck',
    ]);
  });
});

describe('GET /api/v1/destinations/<team_id>/<bucket>', () => {
  test('gives one destination in the reference product’s field names, never the challenge', async () => {
    const response = await get('/api/v1/destinations/TALPHA/bucket-0001');
    expect(response.status).toBe(200);
    const body = await validBody<ApiDestination>(response, 'getDestination');
    expect(body).toEqual({
      team_id: 'TALPHA',
      bucket: 'bucket-0001',
      region: 'us-east-1',
      output_file_format: 'csv',
      csv_delimiter: '\t',
      csv_force_quote: false,
      s3_key_format_string: DEFAULT_KEY_TEMPLATE,
      access: { type: 'bucket_policy' },
      connected_by: 'U1',
      connected_at: '2025-01-01T00:00:00.000Z',
      verified_at: '2025-01-01T00:00:00.000Z',
      last_check: { at: '2025-01-01T00:00:00.000Z', ok: true, summary: 'All checks passed' },
    });
    expect(JSON.stringify(body)).not.toContain('challenge');
  });

  test('gives a destination reached through a role its role ARN and ExternalId', async () => {
    const response = await get('/api/v1/destinations/TALPHA/bucket-0004');
    expect(response.status).toBe(200);
    const body = await validBody<ApiDestination>(response, 'getDestination');
    expect(body.access).toEqual({
      type: 'iam_role',
      role_arn: ROLE_ACCESS.roleArn,
      external_id: ROLE_ACCESS.externalId,
    });
  });

  test('the document is strict: a destination with a field more does not validate', async () => {
    const body = (await (await get('/api/v1/destinations/TALPHA/bucket-0001')).json()) as object;
    const result = openApi.validateResponse(
      { ...body, challenge_key: 's3-destination-challenge-file-x' },
      'getDestination',
      200,
    );
    expect(result.errors?.length).toBeGreaterThan(0);
  });

  test.each([
    ['an unknown bucket', '/api/v1/destinations/TALPHA/no-such-bucket'],
    ['an unknown workspace', '/api/v1/destinations/TZULU/bucket-0000'],
    ['a team id that cannot be a key', '/api/v1/destinations/%7BT%7D/bucket-0000'],
  ])('answers 404 for %s', async (_, path) => {
    const response = await get(path);
    expect(response.status).toBe(404);
    expect((await validBody(response, 'getDestination')).error).toBe('not_found');
  });

  test('answers an unknown API path with a JSON 404', async () => {
    const response = await get('/api/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(((await response.json()) as ApiError).error).toBe('not_found');
  });
});

describe('GET /api/v1/destinations', () => {
  test.each([
    ['limit=0'],
    ['limit=501'],
    ['limit=abc'],
    ['limit=-1'],
    ['limit=1.5'],
    ['cursor=not-base64!'],
    [`cursor=${Buffer.from('{"a":1}').toString('base64url')}`],
    [`cursor=${Buffer.from('["T1"]').toString('base64url')}`],
  ])('answers 400 for %s', async (query) => {
    const response = await get(`/api/v1/destinations?${query}`);
    expect(response.status).toBe(400);
    expect((await validBody(response, 'listDestinations')).error).toBe('bad_request');
  });

  test('gives 100 a page by default', async () => {
    const body = await validBody<DestinationPage>(
      await get('/api/v1/destinations'),
      'listDestinations',
    );
    expect(body.destinations).toHaveLength(100);
    expect(body.next_cursor).toEqual(expect.any(String));
  });

  test.each([1, 2, 7, 100, 500])(
    'pages of %i give every destination of every workspace exactly once, in order',
    async (limit) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `&cursor=${cursor}` : '';
        const response = await get(`/api/v1/destinations?limit=${limit}${query}`);
        expect(response.status).toBe(200);
        const body = await validBody<DestinationPage>(response, 'listDestinations');
        expect(body.destinations.length).toBeLessThanOrEqual(limit);
        seen.push(...body.destinations.map((d: ApiDestination) => `${d.team_id}/${d.bucket}`));
        cursor = body.next_cursor;
        pages += 1;
      } while (cursor !== null);
      expect(seen).toEqual(expected);
      expect(pages).toBe(Math.ceil(expected.length / limit));
    },
    60_000,
  );

  test('a cursor stays valid while destinations are added and removed around it', async () => {
    const first = await validBody<DestinationPage>(
      await get('/api/v1/destinations?limit=3'),
      'listDestinations',
    );
    expect(decodeCursor(first.next_cursor ?? '')).toEqual({
      teamId: 'TALPHA',
      bucket: 'bucket-0002',
    });
    await stores.destinations.remove('TALPHA', 'bucket-0002');
    await stores.destinations.save(savedDestination('TALPHA', 'bucket-0000a'));
    try {
      const next = await validBody<DestinationPage>(
        await get(`/api/v1/destinations?limit=2&cursor=${first.next_cursor}`),
        'listDestinations',
      );
      expect(next.destinations.map((d: ApiDestination) => d.bucket)).toEqual([
        'bucket-0003',
        'bucket-0004',
      ]);
    } finally {
      await stores.destinations.remove('TALPHA', 'bucket-0000a');
      await stores.destinations.save(savedDestination('TALPHA', 'bucket-0002'));
    }
  });

  test('the last page ends with a null cursor, and a cursor past the end gives an empty page', async () => {
    const cursor = encodeCursor({ teamId: 'TCHARLIE', bucket: 'bucket-0497' });
    const last = await validBody<DestinationPage>(
      await get(`/api/v1/destinations?cursor=${cursor}`),
      'listDestinations',
    );
    expect(last).toEqual({
      destinations: [expect.objectContaining({ bucket: 'bucket-0498' })],
      next_cursor: null,
    });
    const beyond = encodeCursor({ teamId: 'TZULU', bucket: 'a' });
    expect(await (await get(`/api/v1/destinations?cursor=${beyond}`)).json()).toEqual({
      destinations: [],
      next_cursor: null,
    });
  });
});

test('the API is off without tokens', async () => {
  const off = await startTestApp({ stores });
  try {
    const response = await fetch(off.url.replace('/slack/events', '/api/v1/destinations'), {
      headers: { authorization: `Bearer ${TOKENS[0]}` },
    });
    expect(response.status).toBe(404);
  } finally {
    await off.stop();
  }
});
