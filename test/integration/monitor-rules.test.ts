import { webApi } from '@slack/bolt';
import type { Monitor, MonitorOptions } from '../../src/monitor/monitor';
import { createMemoryStores, type SavedDestination, type Stores } from '../../src/store';
import { CHALLENGE_NOT_FOUND_TEXT } from '../../src/verify/explain';
import type { VerificationReport } from '../../src/verify/report';
import type { Verifier, VerifyTarget } from '../../src/verify/verifier-port';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { roundCounts, startTestMonitor } from '../support/monitor';
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

  watch(target: VerifyTarget): Promise<VerificationReport> {
    return this.verify(target);
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
  for (const monitor of monitors) await monitor.stop();
  slack.reset();
});

function monitorWith(options: Partial<MonitorOptions> = {}): Monitor {
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
  const monitor = startTestMonitor(deps, client, options);
  monitors.push(monitor);
  return monitor;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `condition` holds, checking every 10 ms. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await pause(10);
}

async function save(
  bucket: string,
  overrides: Partial<SavedDestination> = {},
): Promise<SavedDestination> {
  const destination = passingDestination({
    ...overrides,
    settings: { ...passingDestination().settings, bucket },
  });
  const saved = await stores.destinations.save(destination);
  if (saved.status !== 'saved') throw new Error('not saved');
  return saved.destination;
}

/** What a round counted. */
function swept(counts: { checked: number; alerts: number; recoveries: number; failures: number }) {
  return counts;
}

describe('the monitor’s rules', () => {
  it('neither alerts nor records a failure that is on the bot’s side, and tells the operator', async () => {
    const saved = await save('acme-data-lake');
    verifier.answer(
      'acme-data-lake',
      reportWith({ challenge: 'no_credentials', list: 'no_credentials', write: 'no_credentials' }),
    );
    const monitor = monitorWith();

    const result = await roundCounts(monitor);

    expect(result).toEqual(swept({ checked: 1, alerts: 0, recoveries: 0, failures: 1 }));
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(await stores.destinations.get('T1', 'acme-data-lake')).toEqual(saved);
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
    const monitor = monitorWith();

    const result = await roundCounts(monitor);

    expect(result).toEqual(swept({ checked: 1, alerts: 0, recoveries: 0, failures: 0 }));
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
    const monitor = monitorWith();

    await roundCounts(monitor);

    expect(await stores.destinations.get('T1', 'acme-data-lake')).toBeUndefined();
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('neither alerts nor records S3 answering 503 or timing out: nothing to fix at the bucket', async () => {
    const saved = await save('acme-data-lake');
    verifier.answer('acme-data-lake', reportWith({ challenge: 'transient', list: 'timeout' }));
    const monitor = monitorWith();

    const result = await roundCounts(monitor);

    expect(result).toEqual(swept({ checked: 1, alerts: 0, recoveries: 0, failures: 1 }));
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(await stores.destinations.get('T1', 'acme-data-lake')).toEqual(saved);
  });

  it('alerts only when a second check after the pause confirms the failure', async () => {
    await save('acme-data-lake');
    let calls = 0;
    verifier.answers.set('acme-data-lake', async (target) => {
      calls += 1;
      // One bad minute: the first look fails, the confirming one passes.
      return reportWith(calls === 1 ? { challenge: 'not_found' } : {}, target.bucket);
    });
    const monitor = monitorWith();

    const result = await roundCounts(monitor);

    expect(calls).toBe(2);
    expect(result).toEqual(swept({ checked: 1, alerts: 0, recoveries: 0, failures: 0 }));
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect((await stores.destinations.get('T1', 'acme-data-lake'))?.lastCheck.ok).toBe(true);
  });

  it('waits the pause before confirming, and a stop leaves the confirmation queued', async () => {
    await save('acme-data-lake');
    verifier.answer('acme-data-lake', reportWith({ challenge: 'not_found' }));
    const monitor = monitorWith({ confirmDelayMs: 60_000 });

    void monitor.runRound().catch(() => undefined);
    await until(async () => (await monitor.depth()).delayed === 1);
    await monitor.stop();

    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect((await stores.destinations.get('T1', 'acme-data-lake'))?.lastCheck.ok).toBe(true);
  });

  it('does not record a check of a destination set up again while it was checked', async () => {
    await save('acme-data-lake');
    verifier.answers.set('acme-data-lake', async (target) => {
      await stores.destinations.save(passingDestination({ challengeKey: `${CHALLENGE_KEY}-new` }));
      return reportWith({ challenge: 'not_found' }, target.bucket);
    });
    const monitor = monitorWith();

    await roundCounts(monitor);

    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(await stores.destinations.get('T1', 'acme-data-lake')).toMatchObject({
      challengeKey: `${CHALLENGE_KEY}-new`,
      lastCheck: passingDestination().lastCheck,
    });
  });

  it('announces again on the next sweep when Slack itself failed to take the alert', async () => {
    await save('acme-data-lake');
    verifier.answer('acme-data-lake', reportWith({ challenge: 'not_found' }));
    slack.answer('chat.postMessage', { ok: false, error: 'fatal_error' });
    const monitor = monitorWith();

    expect(await roundCounts(monitor)).toEqual(
      swept({ checked: 1, alerts: 0, recoveries: 0, failures: 1 }),
    );
    expect(await stores.destinations.get('T1', 'acme-data-lake')).toMatchObject({
      lastCheck: { ok: false },
      unannounced: true,
    });

    slack.reset();
    expect(await roundCounts(monitor)).toEqual(
      swept({ checked: 1, alerts: 1, recoveries: 0, failures: 0 }),
    );
    const [alert] = slack.callsTo('chat.postMessage');
    expect(alert.body.channel).toBe('C0ALERTS');
    expect(JSON.stringify(alert.body)).toContain(CHALLENGE_NOT_FOUND_TEXT);
    expect(await stores.destinations.get('T1', 'acme-data-lake')).not.toHaveProperty('unannounced');

    slack.reset();
    await roundCounts(monitor);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it.each(['not_in_channel', 'channel_not_found', 'is_archived', 'missing_scope'])(
    'records the state when the channel answers %s, tells the connector directly, and does not try again each sweep',
    async (slackError) => {
      await save('acme-data-lake');
      verifier.answer('acme-data-lake', reportWith({ challenge: 'not_found' }));
      slack.answer('chat.postMessage', (body) =>
        body.channel === 'C0ALERTS' ? { ok: false, error: slackError } : { ok: true },
      );
      const monitor = monitorWith();

      expect(await roundCounts(monitor)).toEqual(
        swept({ checked: 1, alerts: 1, recoveries: 0, failures: 0 }),
      );
      const direct = slack.callsTo('chat.postMessage').filter((c) => c.body.channel === 'U0ALICE');
      expect(direct).toHaveLength(1);
      expect(JSON.stringify(direct[0].body)).toContain('<#C0ALERTS>');
      expect(JSON.stringify(direct[0].body)).toContain(CHALLENGE_NOT_FOUND_TEXT);
      expect(JSON.stringify(direct[0].body)).not.toContain(CHALLENGE_KEY);
      expect(await stores.destinations.get('T1', 'acme-data-lake')).toMatchObject({
        lastCheck: { ok: false },
        channelUnreachable: { error: slackError },
      });

      slack.reset();
      slack.answer('chat.postMessage', { ok: false, error: slackError });
      expect(await roundCounts(monitor)).toEqual(
        swept({ checked: 1, alerts: 0, recoveries: 0, failures: 0 }),
      );
      expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
    },
  );

  it('posts the recovery in the channel once it can, and forgets that it was unreachable', async () => {
    await save('acme-data-lake', {
      lastCheck: { at: '2025-05-01T00:00:00.000Z', ok: false, summary: 'Failed: Challenge file' },
      channelUnreachable: { since: '2025-05-01T00:00:00.000Z', error: 'not_in_channel' },
    });
    const monitor = monitorWith();

    expect(await roundCounts(monitor)).toEqual(
      swept({ checked: 1, alerts: 0, recoveries: 1, failures: 0 }),
    );
    expect(slack.callsTo('chat.postMessage').map((c) => c.body.channel)).toEqual(['C0ALERTS']);
    expect(await stores.destinations.get('T1', 'acme-data-lake')).not.toHaveProperty(
      'channelUnreachable',
    );
  });

  it('appends alerts and recoveries to the workspace’s audit trail', async () => {
    await save('acme-data-lake');
    verifier.answer('acme-data-lake', reportWith({ challenge: 'not_found' }));
    const monitor = monitorWith();
    await roundCounts(monitor);
    verifier.answers.clear();
    await roundCounts(monitor);

    expect(await stores.audit.recent('T1', 10)).toEqual([
      expect.objectContaining({ actor: 'monitor', action: 'monitor_recovery' }),
      expect.objectContaining({
        actor: 'monitor',
        action: 'monitor_alert',
        bucket: 'acme-data-lake',
        outcome: 'Failed: Challenge file',
      }),
    ]);
  });

  it('tries the round again, after a pause, when the teams cannot be listed', async () => {
    await save('acme-data-lake');
    verifier.answer('acme-data-lake', reportWith({ challenge: 'not_found' }));
    const teams = stores.destinations.teams.bind(stores.destinations);
    let failures = 1;
    stores.destinations.teams = async () => {
      if (failures-- > 0) throw new Error('Redis is away');
      return teams();
    };
    const monitor = monitorWith({ retryDelayMs: 20 });

    expect(await roundCounts(monitor)).toEqual(
      swept({ checked: 1, alerts: 1, recoveries: 0, failures: 0 }),
    );
    expect(logs.some((line) => line.includes('Redis is away'))).toBe(true);
  });

  it('carries on past a destination whose check throws', async () => {
    await save('bucket-a');
    await save('bucket-b');
    await save('bucket-c', { teamId: 'T2' });
    verifier.answers.set('bucket-b', () => Promise.reject(new Error('boom')));
    verifier.answer('bucket-c', reportWith({ challenge: 'not_found' }, 'bucket-c'));
    const monitor = monitorWith();

    const result = await roundCounts(monitor);

    expect(result).toEqual(swept({ checked: 2, alerts: 1, recoveries: 0, failures: 1 }));
    expect(logs.some((line) => line.includes('boom'))).toBe(true);
  });

  it('checks no more destinations at once than its concurrency', async () => {
    for (let i = 0; i < 12; i += 1) await save(`bucket-${String(i).padStart(2, '0')}`);
    let running = 0;
    let peak = 0;
    const slow = async (target: VerifyTarget) => {
      running += 1;
      peak = Math.max(peak, running);
      await pause(20);
      running -= 1;
      return reportWith({}, target.bucket);
    };
    for (let i = 0; i < 12; i += 1)
      verifier.answers.set(`bucket-${String(i).padStart(2, '0')}`, slow);
    const monitor = monitorWith({ concurrency: 3, batchSize: 1 });

    const result = await roundCounts(monitor);

    expect(result.checked).toBe(12);
    expect(peak).toBe(3);
  });

  it('lets a running check finish when it stops', async () => {
    await save('acme-data-lake');
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let begun = false;
    verifier.answers.set('acme-data-lake', async (target) => {
      begun = true;
      await held;
      return reportWith({ challenge: 'not_found' }, target.bucket);
    });
    const monitor = monitorWith({ confirmDelayMs: 60_000 });

    void monitor.runRound().catch(() => undefined);
    await until(async () => begun);
    let stopped = false;
    const stopping = monitor.stop().then(() => {
      stopped = true;
    });
    await pause(50);
    expect(stopped).toBe(false);

    release();
    await stopping;
    // The check was recorded as the newly failing state's first look: confirmed later.
    expect((await stores.destinations.get('T1', 'acme-data-lake'))?.lastCheck.ok).toBe(true);
    expect(logs.some((line) => line.includes('checking a destination failed'))).toBe(false);
  });

  it('opens a round by itself at start when given an interval, and not at all with 0', async () => {
    await save('acme-data-lake');
    verifier.answer('acme-data-lake', reportWith({ challenge: 'not_found' }));

    monitorWith({ intervalSeconds: 0 });
    await pause(50);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);

    monitorWith({ intervalSeconds: 3600 });
    await slack.waitForCall('chat.postMessage');
  });

  it('never writes a challenge name into its logs', async () => {
    await save('acme-data-lake');
    verifier.answer('acme-data-lake', reportWith({ challenge: 'not_found' }));
    const monitor = monitorWith();

    await roundCounts(monitor);

    const sweepLog = logs
      .map((line) => JSON.parse(line))
      .find((e) => e.msg === 'monitor: round finished');
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
