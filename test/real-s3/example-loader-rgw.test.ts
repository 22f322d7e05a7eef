import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  listDestinations,
  loadTable,
  renderKey,
  type TableLoad,
} from '../../examples/loader/loader';
import { renderKey as botRenderKey } from '../../src/domain/key-template';
import type { DestinationSettings } from '../../src/domain/destination';
import { createMemoryStores, type Stores } from '../../src/store';
import { RGW_REGION, describeWithRgw, startRgw, type Rgw, type RgwUser } from '../support/rgw';
import { DEFAULT_ACTOR } from '../support/slack-payloads';
import { startTestApp, type TestApp } from '../support/test-app';
import { BucketOwner, generatedPolicy } from './bucket-owner';
import { destinationSettings } from '../support/fixtures';

// The example loader end to end: it reads the destinations from the real app's API and writes
// with the loader's own keys into buckets whose only grant to it is the policy the bot generated.

const START_TIMEOUT_MS = 90_000;
const TOKEN = 'example-loader-token-0123456789';
const TEAM = DEFAULT_ACTOR.teamId;

let rgw: Rgw;
let owner: RgwUser;
let loader: RgwUser;
let ownerS3: BucketOwner;
let stores: Stores;
let app: TestApp;

const destinations: Record<string, DestinationSettings> = {
  'example-csv': {
    bucket: 'example-csv',
    region: RGW_REGION,
    format: 'csv',
    csvDelimiter: 'pipe',
    csvForceQuote: true,
    keyTemplate:
      '[integration_name]/[year_loaded]/[month_loaded]/[day_loaded]/[hour_loaded]/[table_name]/[table_version]_[timestamp_loaded]',
  },
  'example-jsonl': destinationSettings({ bucket: 'example-jsonl', region: RGW_REGION }),
};

describeWithRgw('the example loader against Ceph RGW', () => {
  beforeAll(async () => {
    rgw = await startRgw();
    owner = await rgw.createUser('owner');
    loader = await rgw.createUser('loader');
    ownerS3 = new BucketOwner(rgw.client(owner));
    stores = createMemoryStores(3600);
    for (const settings of Object.values(destinations)) {
      await ownerS3.createBucket(settings.bucket);
      await ownerS3.applyPolicy(settings.bucket, generatedPolicy(settings.bucket, loader.arn));
      await stores.destinations.save({
        teamId: TEAM,
        settings,
        challengeKey: 's3-destination-challenge-file-6f1d0c59-3f0e-4a55-8b9e-7c1b2d3e4f50',
        channelId: 'C1',
        connectedBy: 'U1',
        connectedAt: '2025-01-01T00:00:00.000Z',
        verifiedAt: '2025-01-01T00:00:00.000Z',
        lastCheck: { at: '2025-01-01T00:00:00.000Z', ok: true, summary: 'All checks passed' },
      });
    }
    app = await startTestApp({ stores, settings: { loaderApiTokens: [TOKEN] } });
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    await app?.stop();
    await rgw?.stop();
  });

  const load: TableLoad = {
    integrationName: 'salesforce-prod',
    tableName: 'account',
    tableVersion: 3,
    timestampLoaded: Date.UTC(2025, 1, 3, 4, 5, 6),
    rows: [
      { id: 1, name: 'Acme | Inc.', note: 'says "hi"' },
      { id: 2, name: 'Globex', note: null },
    ],
  };

  test('writes a load to every destination at the rendered key, in its format, with only the granted permissions', async () => {
    const apiBase = app.url.replace('/slack/events', '');
    const s3 = rgw.client(loader);
    const written: Record<string, string> = {};
    for await (const destination of listDestinations(apiBase, TOKEN)) {
      const settings = destinations[destination.bucket];
      const key = await loadTable(s3, destination, load);
      // The loader renders keys as the bot previews them.
      expect(key).toBe(botRenderKey(settings.keyTemplate, settings.format, load));
      expect(key).toBe(renderKey(destination, load));
      written[destination.bucket] = key;
    }
    expect(written).toEqual({
      'example-csv': 'salesforce-prod/2025/02/03/04/account/3_1738555506000.csv',
      'example-jsonl': 'salesforce-prod/account/3_1738555506000.jsonl',
    });

    const read = async (bucket: string) => {
      expect(await ownerS3.keys(bucket)).toEqual([written[bucket]]);
      // Read back with the loader's keys (the policy grants s3:GetObject): with ACLs enabled, as on
      // this engine, the object belongs to its writer, which the bot's ownership check warns about.
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: written[bucket] }));
      return object.Body?.transformToString();
    };
    expect(await read('example-csv')).toBe(
      '"id"|"name"|"note"\n"1"|"Acme | Inc."|"says ""hi"""\n"2"|"Globex"|""\n',
    );
    expect(await read('example-jsonl')).toBe(
      '{"id":1,"name":"Acme | Inc.","note":"says \\"hi\\""}\n{"id":2,"name":"Globex","note":null}\n',
    );
  });

  test('the loader has no access to a bucket that did not grant it', async () => {
    await ownerS3.createBucket('example-ungranted');
    const destination = (await (
      await fetch(app.url.replace('/slack/events', `/api/v1/destinations/${TEAM}/example-csv`), {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).json()) as Parameters<typeof loadTable>[1];
    await expect(
      loadTable(rgw.client(loader), { ...destination, bucket: 'example-ungranted' }, load),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
