import { webApi } from '@slack/bolt';
import { startMonitor, type Monitor, type MonitorOptions } from '../../src/monitor/monitor';
import { createMemoryStores, type SavedDestination, type Stores } from '../../src/store';
import { CHALLENGE_NOT_FOUND_TEXT } from '../../src/verify/explain';
import type { VerificationReport, Verifier, VerifyTarget } from '../../src/verify/report';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { testDeps } from '../support/test-app';
import { CHALLENGE_KEY, passingDestination, reportWith } from '../unit/monitor/fixtures';

/** Answers each bucket with the report (or the failure) the test set for it; all pass otherwise. */
class ScriptedVerifier implements Verifier {
  readonly answers = new Map<string, (target: VerifyTarget) => Promise<VerificationReport>>();

  answer(bucket: string, report: VerificationReport): void {
    this.answers.set(bucket, async () => report);
  }

  verify(target: VerifyTarget): Promise<VerificationReport> {
    const answer = this.answers.get(target.bucket);
    return answer ? answer(target) : Promise.resolve(reportWith({}, target.bucket));
  }
}

let slack: SlackStandIn;
let stores: Stores;
let verifier: ScriptedVerifier;
let logs: string[];
let monitors: Monitor[];

beforeAll(async () => {
  slack = await startSlackStandIn();
});
afterAll(async () => {
  await slack.close();
});
beforeEach(() => {
  stores = createMemoryStores(3600);
  verifier = new ScriptedVerifier();
  logs = [];
  monitors = [];
});
afterEach(async () => {
  for (const monitor of monitors) {
    monitor.stop();
    await monitor.done();
  }
  slack.reset();
});

function startTestMonitor(intervalSeconds = 0, options: MonitorOptions = {}): Monitor {
  const deps = testDeps({
    logs,
    stores,
    verifier,
    now: () => new Date('2025-06-01T12:00:00.000Z'),
  });
  const client = new webApi.WebClient('xoxb-test', {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
  });
  // A tiny lock TTL: these tests sweep again at once, which one sweep per interval would refuse.
  const monitor = startMonitor(deps, client, intervalSeconds, { lockTtlMs: 1, ...options });
  monitors.push(monitor);
  return monitor;
}

/** Resolves once `ms` have passed, so a 1 ms lock has certainly expired. */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function save(bucket: string, overrides: Partial<SavedDestination> = {}) {
  const destination = passingDestination({
    ...overrides,
    settings: { ...passingDestination().settings, bucket },
  });
  await stores.destinations.save(destination);
  return destination;
}

describe('the monitor’s rules', () => {
  it('neither alerts nor records a failure that is on the bot’s side, and tells the operator', async () => {
    await save('acme-data-lake');
    verifier.answer(
      'acme-data-lake',
      reportWith({ challenge: 'no_credentials', list: 'no_credentials', write: 'no_credentials' }),
    );
    const monitor = startTestMonitor();

    const result = await monitor.sweepOnce();

    expect(result).toEqual({ checked: 1, alerts: 0, recoveries: 0, failures: 1 });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(await stores.destinations.get('T1', 'acme-data-lake')).toEqual(passingDestination());
    const errors = logs.map((line) => JSON.parse(line)).filter((entry) => entry.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ bucket: 'acme-data-lake', teamId: 'T1' });
    expect(JSON.stringify(errors[0])).toContain('no_credentials');
  });

  it('records a still-failing destination without alerting again', async () => {
    await save('acme-data-lake', {
      lastCheck: { at: '2025-05-01T00:00:00.000Z', ok: false, summary: 'Failed: Challenge file' },
    });
    verifier.answer('acme-data-lake', reportWith({ challenge: 'not_found' }));
    const monitor = startTestMonitor();

    const result = await monitor.sweepOnce();

    expect(result).toEqual({ checked: 1, alerts: 0, recoveries: 0, failures: 0 });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
    const saved = await stores.destinations.get('T1', 'acme-data-lake');
    expect(saved?.lastCheck).toEqual({
      at: '2025-06-01T12:00:00.000Z',
      ok: false,
      summary: 'Failed: Challenge file',
    });
  });

  it('does not bring back a destination removed while it was being checked', async () => {
    await save('acme-data-lake');
    verifier.answers.set('acme-data-lake', async (target) => {
      await stores.destinations.remove('T1', 'acme-data-lake');
      return reportWith({ challenge: 'not_found' }, target.bucket);
    });
    const monitor = startTestMonitor();

    await monitor.sweepOnce();

    expect(await stores.destinations.get('T1', 'acme-data-lake')).toBeUndefined();
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('keeps the change unrecorded when Slack refuses the alert, and alerts on the next sweep', async () => {
    await save('acme-data-lake');
    verifier.answer('acme-data-lake', reportWith({ challenge: 'not_found' }));
    slack.answer('chat.postMessage', { ok: false, error: 'channel_not_found' });
    const monitor = startTestMonitor();

    expect(await monitor.sweepOnce()).toEqual({
      checked: 1,
      alerts: 0,
      recoveries: 0,
      failures: 1,
    });
    expect((await stores.destinations.get('T1', 'acme-data-lake'))?.lastCheck.ok).toBe(true);

    slack.reset();
    await pause(5);
    expect(await monitor.sweepOnce()).toEqual({
      checked: 1,
      alerts: 1,
      recoveries: 0,
      failures: 0,
    });
    const [alert] = slack.callsTo('chat.postMessage');
    expect(alert.body.channel).toBe('C0ALERTS');
    expect(JSON.stringify(alert.body)).toContain(CHALLENGE_NOT_FOUND_TEXT);
  });

  it('carries on past a destination whose check throws', async () => {
    await save('bucket-a');
    await save('bucket-b');
    await save('bucket-c', { teamId: 'T2' });
    verifier.answers.set('bucket-b', () => Promise.reject(new Error('boom')));
    verifier.answer('bucket-c', reportWith({ challenge: 'not_found' }, 'bucket-c'));
    const monitor = startTestMonitor();

    const result = await monitor.sweepOnce();

    expect(result).toEqual({ checked: 2, alerts: 1, recoveries: 0, failures: 1 });
    expect(logs.some((line) => line.includes('boom'))).toBe(true);
  });

  it('checks no more destinations at once than its concurrency', async () => {
    for (let i = 0; i < 12; i += 1) await save(`bucket-${String(i).padStart(2, '0')}`);
    let running = 0;
    let peak = 0;
    const slow = async (target: VerifyTarget) => {
      running += 1;
      peak = Math.max(peak, running);
      await pause(5);
      running -= 1;
      return reportWith({}, target.bucket);
    };
    for (let i = 0; i < 12; i += 1)
      verifier.answers.set(`bucket-${String(i).padStart(2, '0')}`, slow);
    const monitor = startTestMonitor(0, { concurrency: 3 });

    const result = await monitor.sweepOnce();

    expect(result?.checked).toBe(12);
    expect(peak).toBe(3);
  });

  it('runs one sweep at a time, and done() waits for the one running', async () => {
    await save('acme-data-lake');
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    verifier.answers.set('acme-data-lake', async (target) => {
      await held;
      return reportWith({}, target.bucket);
    });
    const monitor = startTestMonitor();

    const first = monitor.sweepOnce();
    await pause(5);
    expect(await monitor.sweepOnce()).toBeUndefined();
    let finished = false;
    const done = monitor.done().then(() => {
      finished = true;
    });
    await pause(5);
    expect(finished).toBe(false);

    release();
    await done;
    expect(await first).toEqual({ checked: 1, alerts: 0, recoveries: 0, failures: 0 });
  });

  it('sweeps by itself at start when given an interval, and not at all with 0', async () => {
    await save('acme-data-lake');
    verifier.answer('acme-data-lake', reportWith({ challenge: 'not_found' }));

    startTestMonitor(0);
    await pause(50);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);

    startTestMonitor(3600);
    await slack.waitForCall('chat.postMessage');
  });

  it('never writes a challenge name into its logs', async () => {
    await save('acme-data-lake');
    verifier.answer('acme-data-lake', reportWith({ challenge: 'not_found' }));
    const monitor = startTestMonitor();

    await monitor.sweepOnce();

    const sweepLog = logs
      .map((line) => JSON.parse(line))
      .find((e) => e.msg === 'monitor: sweep finished');
    expect(sweepLog).toMatchObject({
      level: 30,
      checked: 1,
      alerts: 1,
      recoveries: 0,
      failures: 0,
    });
    expect(typeof sweepLog.durationMs).toBe('number');
    expect(logs.join('\n')).not.toContain(CHALLENGE_KEY);
  });
});
