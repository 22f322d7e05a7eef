import { randomBytes } from 'node:crypto';
import type { webApi } from '@slack/bolt';
import type { Deps } from '../../src/deps';
import { startMonitor, type Monitor, type MonitorOptions } from '../../src/monitor/monitor';
import { createMonitorAnnouncer } from '../../src/slack/monitor-announcer';
import type { TeamClients } from '../../src/slack/team-clients';
import { REDIS_URL } from './redis';

/** A queue prefix of its own (hash tag included, as the app's), so tests never share jobs. */
export function testQueuePrefix(): string {
  return `test:${randomBytes(6).toString('hex')}:{s3d-monitor}`;
}

/**
 * The monitor on the test Redis with a queue of its own. No timer, no pause before a confirming
 * check and a tiny one before a retry: these tests assert what is checked and told, not when.
 */
export function startTestMonitor(
  deps: Deps,
  slack: TeamClients | webApi.WebClient,
  options: Partial<MonitorOptions> = {},
): Monitor {
  return startMonitor(deps, createMonitorAnnouncer(deps, slack), {
    redisUrl: REDIS_URL,
    intervalSeconds: 0,
    prefix: testQueuePrefix(),
    confirmDelayMs: 0,
    retryDelayMs: 1,
    ...options,
  });
}

/** Runs one round and gives what it counted, over every replica. */
export async function roundCounts(monitor: Monitor) {
  const { checked, alerts, recoveries, failures } = await monitor.runRound();
  return { checked, alerts, recoveries, failures };
}
