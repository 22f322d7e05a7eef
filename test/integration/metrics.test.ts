import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { webApi } from '@slack/bolt';
import { slackClientOptions } from '../../src/app';
import { createLogger } from '../../src/log/logger';
import { postInChannel } from '../../src/slack/messaging';
import { PrometheusMetrics } from '../../src/metrics/prometheus';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/server';
import { listKey } from '../../src/verify/key-listing';
import { createS3ClientFactory } from '../../src/verify/s3-clients';
import { S3Verifier } from '../../src/verify/verifier';
import {
  LOCAL_S3_CREDENTIALS,
  LOCAL_S3_REGION,
  startLocalS3,
  type LocalS3,
} from '../support/s3-local';
import { startFaultServer, type FaultKind } from '../support/s3-fault-server';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';

let s3: LocalS3;
let slack: SlackStandIn;
let metrics: PrometheusMetrics;
let server: MetricsServer;

beforeAll(async () => {
  [s3, slack] = await Promise.all([startLocalS3(), startSlackStandIn()]);
  metrics = new PrometheusMetrics();
  server = await startMetricsServer(metrics.registry, 0, '127.0.0.1', () => undefined);
});

afterAll(async () => {
  await Promise.all([server?.close(), s3?.stop(), slack?.close()]);
});

const scrape = async () => (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();

/** The value of one series, 0 when it has not appeared yet. */
function valueOf(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

it('counts checks by source and outcome, and times them', async () => {
  const before = await scrape();
  metrics.checkFinished('monitor', 'failing', 0.2);
  metrics.checkFinished('check_and_save', 'ok', 0.1);

  const after = await scrape();
  const failing = 's3d_checks_total{source="monitor",outcome="failing"}';
  expect(valueOf(after, failing)).toBe(valueOf(before, failing) + 1);
  expect(valueOf(after, 's3d_check_duration_seconds_count{source="check_and_save"}')).toBe(
    valueOf(before, 's3d_check_duration_seconds_count{source="check_and_save"}') + 1,
  );
  expect(after).toContain('process_cpu_seconds_total');
});

it('times the S3 calls of a check by operation, never naming the bucket', async () => {
  const bucket = `metrics-${randomUUID().slice(0, 8)}`;
  const challengeKey = `s3-destination-challenge-file-${randomUUID()}`;
  await s3.createBucket(bucket);
  await s3.putObject(bucket, challengeKey);
  const clients = createS3ClientFactory({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    timeoutMs: 5000,
    credentials: LOCAL_S3_CREDENTIALS,
    onCall: (operation, seconds) => metrics.s3Call(operation, seconds),
  });
  try {
    await new S3Verifier(clients, { timeoutMs: 5000 }).watch({
      bucket,
      region: LOCAL_S3_REGION,
      challengeKey,
      checkRegion: false,
    });
  } finally {
    clients.destroy();
  }

  const text = await scrape();
  expect(valueOf(text, 's3d_s3_call_duration_seconds_count{operation="ListObjectsV2"}')).toBe(1);
  expect(text).not.toContain(bucket);
  expect(text).not.toContain(challengeKey);
});

it('counts the S3 calls that failed on S3’s side or the bot’s, not the answers about a bucket', async () => {
  const faults = await startFaultServer();
  const clients = createS3ClientFactory({
    endpoint: faults.endpoint,
    forcePathStyle: true,
    timeoutMs: 5000,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    onCall: (operation, seconds, failure) => metrics.s3Call(operation, seconds, failure),
  });
  const client = clients.forRegion('us-east-1');
  const bucket = `metrics-${randomUUID().slice(0, 8)}`;
  const failing = async (kind: FaultKind) => {
    faults.setFault({ kind });
    await listKey(client, bucket, 'challenge', AbortSignal.timeout(5000)).catch(() => undefined);
    await client.send(new HeadBucketCommand({ Bucket: bucket })).catch(() => undefined);
  };
  const before = await scrape();
  try {
    await failing('InternalError');
    await failing('InvalidAccessKeyId');
    await failing('AccessDenied');
    await failing('NoSuchBucket');
  } finally {
    clients.destroy();
    await faults.stop();
  }

  const after = await scrape();
  const grew = (series: string) => valueOf(after, series) - valueOf(before, series);
  const failures = (operation: string, cause: string) =>
    grew(`s3d_s3_call_failures_total{operation="${operation}",cause="${cause}"}`);
  expect(failures('ListObjectsV2', 'unavailable')).toBe(1);
  expect(failures('ListObjectsV2', 'credentials')).toBe(1);
  expect(failures('HeadBucket', 'unavailable')).toBe(1);
  // A HEAD error has no body: S3's 403 for a bad key reads as any 403, an answer about the bucket.
  expect(failures('HeadBucket', 'credentials')).toBe(0);
  for (const operation of ['ListObjectsV2', 'HeadBucket']) {
    expect(grew(`s3d_s3_call_duration_seconds_count{operation="${operation}"}`)).toBe(4);
  }
  expect(after).not.toContain(bucket);
});

it('counts the Slack calls that got no answer, a 5xx or a 429, not Slack’s `ok: false`', async () => {
  const statuses = [503, 429, 200];
  const server: Server = createServer((_request, response) => {
    const status = statuses.shift() ?? 200;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ ok: false, error: status === 200 ? 'not_in_channel' : 'x' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const slackFetch = slackClientOptions(undefined, metrics).fetch;
  const call = (url: string) =>
    slackFetch(url, { method: 'POST', body: 'channel=C1' }).then(
      () => undefined,
      () => undefined,
    );
  const before = await scrape();
  try {
    for (let i = 0; i < 3; i += 1) await call(`http://127.0.0.1:${port}/api/chat.postEphemeral`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await call(`http://127.0.0.1:${port}/api/chat.postEphemeral`);

  const after = await scrape();
  const grew = (series: string) => valueOf(after, series) - valueOf(before, series);
  const failures = (cause: string) =>
    `s3d_slack_call_failures_total{method="chat.postEphemeral",cause="${cause}"}`;
  expect(grew(failures('unavailable'))).toBe(2);
  expect(grew(failures('rate_limited'))).toBe(1);
  expect(grew('s3d_slack_call_duration_seconds_count{method="chat.postEphemeral"}')).toBe(4);
});

it('times the Slack calls of the app’s clients by method', async () => {
  const client = new webApi.WebClient('xoxb-test', slackClientOptions(slack.apiUrl, metrics));
  await client.chat.postMessage({ channel: 'C0METRICS', text: 'hello' });

  const text = await scrape();
  expect(valueOf(text, 's3d_slack_call_duration_seconds_count{method="chat.postMessage"}')).toBe(1);
  expect(text).not.toContain('C0METRICS');
});

it('times the posts in a channel, which go out without the Web API client, by method too', async () => {
  const series = 's3d_slack_call_duration_seconds_count{method="chat.postMessage"}';
  const before = valueOf(await scrape(), series);
  const client = new webApi.WebClient('xoxb-test', slackClientOptions(slack.apiUrl));

  const posted = await postInChannel(
    { client, channelId: 'C0METRICS', metrics },
    { text: 'hello', blocks: [] },
    createLogger({ level: 'silent' }),
  );

  expect(posted).toBe(true);
  expect(valueOf(await scrape(), series)).toBe(before + 1);
});

it('reads the monitor’s queue and the outbox when scraped, and shows the monitor’s interval', async () => {
  expect(await scrape()).not.toContain('s3d_monitor_interval_seconds');
  metrics.watchMonitor(3600, async () => ({ waiting: 3, active: 2, delayed: 1, failed: 0 }));
  metrics.watchOutbox(async () => ({ pending: 7, deadLetters: 2 }));

  const text = await scrape();
  expect(valueOf(text, 's3d_monitor_jobs{state="waiting"}')).toBe(3);
  expect(valueOf(text, 's3d_monitor_jobs{state="delayed"}')).toBe(1);
  expect(valueOf(text, 's3d_outbox_pending_events')).toBe(7);
  expect(valueOf(text, 's3d_outbox_dead_letters')).toBe(2);
  expect(valueOf(text, 's3d_monitor_interval_seconds')).toBe(3600);
});

it('reads the queue and the outbox once for every scrape within a few seconds, and again after', async () => {
  let clock = 1_000_000;
  const cached = new PrometheusMetrics({ now: () => clock });
  const own = await startMetricsServer(cached.registry, 0, '127.0.0.1', () => undefined);
  const reads = { queue: 0, outbox: 0 };
  cached.watchMonitor(3600, async () => {
    reads.queue += 1;
    return { waiting: reads.queue, active: 0, delayed: 0, failed: 0 };
  });
  cached.watchOutbox(async () => {
    reads.outbox += 1;
    return { pending: reads.outbox, deadLetters: 0 };
  });
  const scrapeOwn = async () => (await fetch(`http://127.0.0.1:${own.port}/metrics`)).text();
  try {
    const texts = await Promise.all(Array.from({ length: 20 }, scrapeOwn));
    expect(reads).toEqual({ queue: 1, outbox: 1 });
    expect(texts.every((text) => valueOf(text, 's3d_outbox_pending_events') === 1)).toBe(true);

    clock += 5_000;
    const later = await scrapeOwn();
    expect(reads).toEqual({ queue: 2, outbox: 2 });
    expect(valueOf(later, 's3d_monitor_jobs{state="waiting"}')).toBe(2);
  } finally {
    await own.close();
  }
});

it('answers nothing but GET /metrics', async () => {
  const other = await fetch(`http://127.0.0.1:${server.port}/slack/events`, { method: 'POST' });
  expect(other.status).toBe(404);
});
