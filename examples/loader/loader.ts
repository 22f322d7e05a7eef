/**
 * An example loader: what the principal of the bucket policies does with the destinations people
 * connect in Slack. It reads them from the bot's API, writes one table load to each (the key
 * rendered from the destination's template, the file in its format) and verifies the bot's change
 * events with the Standard Webhooks library. Small on purpose: copy what you need.
 */
import { PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { Webhook } from 'standardwebhooks';

/** A destination as `GET /api/v1/destinations` gives it. */
export interface Destination {
  team_id: string;
  bucket: string;
  region: string;
  output_file_format: 'jsonl' | 'csv';
  csv_delimiter: ',' | '|' | '\t';
  csv_force_quote: boolean;
  s3_key_format_string: string;
  /** How to reach the bucket: as yourself (the bucket policy), or by assuming the customer's role. */
  access: { type: 'bucket_policy' } | { type: 'iam_role'; role_arn: string; external_id: string };
  connected_by: string;
  connected_at: string | null;
  verified_at: string;
  last_check: { at: string; ok: boolean; summary: string };
}

/** Where and as whom the loader talks to S3 and STS; unset fields: AWS and the default chain. */
export interface LoaderAws {
  /** The loader's own credentials (the principal of the bucket policies and trust policies). */
  readonly credentials?: S3ClientConfig['credentials'];
  /** An S3-compatible engine, e.g. Ceph RGW; it serves STS on the same endpoint. */
  readonly endpoint?: string;
  readonly forcePathStyle?: boolean;
}

/**
 * The S3 client for a destination, reached the way it was connected: with the loader's own
 * credentials (bucket policy), or with the customer's role, assumed with the destination's
 * ExternalId (the SDK assumes it again before the credentials expire). Everything else in the
 * loader is the same either way.
 */
export function s3ClientFor(destination: Destination, aws: LoaderAws = {}): S3Client {
  const { access, region } = destination;
  const where = {
    region,
    ...(aws.endpoint === undefined ? {} : { endpoint: aws.endpoint }),
  };
  const credentials =
    access.type === 'iam_role'
      ? fromTemporaryCredentials({
          params: {
            RoleArn: access.role_arn,
            ExternalId: access.external_id,
            RoleSessionName: `s3-destination-loader-${destination.team_id}`.slice(0, 64),
          },
          ...(aws.credentials === undefined ? {} : { masterCredentials: aws.credentials }),
          clientConfig: where,
        })
      : aws.credentials;
  return new S3Client({
    ...where,
    ...(credentials === undefined ? {} : { credentials }),
    forcePathStyle: aws.forcePathStyle ?? false,
  });
}

/** One table load: what fills in the key template, and the rows. */
export interface TableLoad {
  integrationName: string;
  tableName: string;
  tableVersion: number;
  /** Unix time in milliseconds. */
  timestampLoaded: number;
  rows: Record<string, unknown>[];
}

/** Every destination of every workspace, page after page until `next_cursor` is null. */
export async function* listDestinations(
  apiBase: string,
  token: string,
): AsyncGenerator<Destination> {
  let cursor: string | null = null;
  do {
    const url = new URL('/api/v1/destinations', apiBase);
    url.searchParams.set('limit', '100');
    if (cursor) url.searchParams.set('cursor', cursor);
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`the destinations API answered ${response.status}`);
    const page = (await response.json()) as {
      destinations: Destination[];
      next_cursor: string | null;
    };
    yield* page.destinations;
    cursor = page.next_cursor;
  } while (cursor);
}

const EXTENSIONS = { jsonl: '.jsonl', csv: '.csv' } as const;
const two = (value: number) => String(value).padStart(2, '0');

/**
 * The object key of a load: `[integration_name]`, `[table_name]`, `[table_version]`,
 * `[timestamp_loaded]` and the optional `[year_loaded]`, `[month_loaded]`, `[day_loaded]`,
 * `[hour_loaded]` (UTC) filled in, then the format's extension.
 */
export function renderKey(destination: Destination, load: TableLoad): string {
  const loaded = new Date(load.timestampLoaded);
  const values: Record<string, string> = {
    integration_name: load.integrationName,
    table_name: load.tableName,
    table_version: String(load.tableVersion),
    timestamp_loaded: String(load.timestampLoaded),
    year_loaded: String(loaded.getUTCFullYear()),
    month_loaded: two(loaded.getUTCMonth() + 1),
    day_loaded: two(loaded.getUTCDate()),
    hour_loaded: two(loaded.getUTCHours()),
  };
  const key = destination.s3_key_format_string.replace(
    /\[([a-z_]+)\]/g,
    (element: string, name: string) => values[name] ?? element,
  );
  return key + EXTENSIONS[destination.output_file_format];
}

/** One CSV field: quoted when the destination says every field is, or when it must be. */
function csvField(value: unknown, delimiter: string, forceQuote: boolean): string {
  const text = value === null || value === undefined ? '' : String(value);
  const mustQuote = text.includes(delimiter) || /["\r\n]/.test(text);
  return forceQuote || mustQuote ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The file's content: JSON Lines, or CSV with a header row, the delimiter and the quoting chosen. */
export function renderFile(destination: Destination, rows: Record<string, unknown>[]): string {
  if (destination.output_file_format === 'jsonl') {
    return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
  }
  const { csv_delimiter: delimiter, csv_force_quote: forceQuote } = destination;
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const line = (values: unknown[]) =>
    `${values.map((value) => csvField(value, delimiter, forceQuote)).join(delimiter)}\n`;
  return line(columns) + rows.map((row) => line(columns.map((column) => row[column]))).join('');
}

/** Writes one table load into the destination's bucket (one PutObject); returns the key. */
export async function loadTable(
  s3: S3Client,
  destination: Destination,
  load: TableLoad,
): Promise<string> {
  const key = renderKey(destination, load);
  await s3.send(
    new PutObjectCommand({
      Bucket: destination.bucket,
      Key: key,
      Body: renderFile(destination, load.rows),
      ContentType: destination.output_file_format === 'csv' ? 'text/csv' : 'application/x-ndjson',
    }),
  );
  return key;
}

/** A change event as the bot POSTs it to LOADER_WEBHOOK_URL. */
export interface ChangeEvent {
  id: string;
  type: string;
  occurred_at: string;
  /** Per team and bucket, +1 with each event: keep the highest you have seen. */
  sequence: number;
  destination: Destination;
}

/**
 * The change event, if it came from the bot: the Standard Webhooks library checks
 * `webhook-signature` against `<webhook-id>.<webhook-timestamp>.<raw body>` with the `whsec_…`
 * secret, in constant time, and refuses a timestamp that is not a number or over 5 minutes old.
 * Pass the raw body, before any JSON parsing, and the request's headers.
 */
export function eventFromTheBot(
  secret: string,
  headers: Record<string, string>,
  rawBody: string,
): ChangeEvent | undefined {
  try {
    return new Webhook(secret).verify(rawBody, headers) as ChangeEvent;
  } catch {
    return undefined;
  }
}

/** `LOADER_API_URL=… LOADER_API_TOKEN=… node loader.js`: one sample load into every passing destination. */
async function main(): Promise<void> {
  const apiBase = process.env.LOADER_API_URL ?? 'http://localhost:3000';
  const token = process.env.LOADER_API_TOKEN ?? '';
  for await (const destination of listDestinations(apiBase, token)) {
    if (!destination.last_check.ok) continue;
    const s3 = s3ClientFor(destination);
    const key = await loadTable(s3, destination, {
      integrationName: 'example',
      tableName: 'accounts',
      tableVersion: 1,
      timestampLoaded: Date.now(),
      rows: [{ id: 1, name: 'Acme, Inc.' }],
    });
    process.stdout.write(`wrote s3://${destination.bucket}/${key}\n`);
    s3.destroy();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
