import { destinationKey, sessionKey } from '../../src/store/keys';
import { explainCheck, isOperatorFault } from '../../src/verify/explain';
import type { CheckOutcome } from '../../src/verify/report';
import { DEFAULT_ACTOR } from '../support/slack-payloads';
import type { TestRedis } from '../support/redis';
import type { FaultServer } from '../support/s3-fault-server';
import type { TestApp } from '../support/test-app';
import {
  VALID_SETTINGS,
  clickCheckAndSave,
  postsTo,
  submitSetup,
  watchProcessFailures,
  startAppOverFaultyS3,
  type AppOverFaultyS3,
} from './flow';
import { visibleText } from '../support/message-text';

// Short enough to keep the suite quick, long enough for a loopback answer.
const S3_TIMEOUT_MS = 1000;
const OPERATOR_SIDE = 'At least one failure is on the bot’s side, not your bucket';
const context = { bucket: VALID_SETTINGS.bucket, region: VALID_SETTINGS.region };

describe('S3 timing out or dropping connections during Check and Save', () => {
  let redis: TestRedis;
  let s3: FaultServer;
  let app: AppOverFaultyS3;
  let t: TestApp;
  let watcher: ReturnType<typeof watchProcessFailures>;
  let replies = 0;
  const nextResponseUrl = () => t.slack.responseUrl(`s3-${++replies}`);

  beforeAll(async () => {
    watcher = watchProcessFailures();
    app = await startAppOverFaultyS3(S3_TIMEOUT_MS);
    ({ redis, s3, t } = app);
  });
  afterEach(async () => {
    s3.reset();
    t.slack.reset();
    await redis.flush();
    expect(watcher.failures).toEqual([]);
  });
  afterAll(async () => {
    await app.stop();
    watcher.stop();
  });

  /** Clicks Check and Save, waits for it to finish, and returns what was posted in the channel. */
  async function checkAndSave(sessionId: string, responseUrl: string): Promise<string> {
    const before = t.slack.callsTo('chat.postMessage').length;
    const click = await clickCheckAndSave(t, sessionId, responseUrl);
    expect(click.status).toBe(200);
    const result = await t.slack.waitForCall('chat.postMessage', before + 1);
    // Let the click finish (its last reply, the lock's release) before anything else happens.
    await t.deps.tasks.drain(10000);
    expect(result.body.channel).toBe(DEFAULT_ACTOR.channelId);
    return visibleText(result.body);
  }

  async function storedSession(sessionId: string): Promise<Record<string, unknown>> {
    const raw = await redis.client.get(sessionKey(DEFAULT_ACTOR.teamId, sessionId));
    expect(raw).not.toBeNull();
    return JSON.parse(raw!) as Record<string, unknown>;
  }

  it.each<[string, Parameters<FaultServer['setFault']>[0], CheckOutcome]>([
    [
      'S3 answers slower than the timeout',
      { kind: 'slow', delayMs: S3_TIMEOUT_MS * 30 },
      'timeout',
    ],
    ['S3 resets every connection', { kind: 'reset' }, 'unreachable'],
  ])(
    'when %s: says it is on the bot’s side, keeps the session, and succeeds later',
    async (_name, fault, outcome) => {
      const { sessionId } = await submitSetup(t, t.slack, { responseUrl: nextResponseUrl() });
      const clickUrl = nextResponseUrl();
      s3.setFault(fault);

      const failed = await checkAndSave(sessionId, clickUrl);

      expect(isOperatorFault(outcome)).toBe(true);
      for (const check of ['challenge', 'list', 'write', 'region'] as const) {
        expect(failed).toContain(explainCheck(check, outcome, context));
      }
      expect(failed).toContain(OPERATOR_SIDE);
      expect(failed).not.toContain('Nothing was saved yet');
      expect((await storedSession(sessionId)).savedAt).toBeUndefined();
      expect(
        await redis.client.exists(destinationKey(DEFAULT_ACTOR.teamId, VALID_SETTINGS.bucket)),
      ).toBe(0);
      // The one-time instructions stay on screen for the next try: nothing replaced them.
      expect(postsTo(t.slack, clickUrl)).toEqual([]);

      s3.reset();
      const succeeded = await checkAndSave(sessionId, clickUrl);

      expect(succeeded).toContain(`connected \`${VALID_SETTINGS.bucket}\``);
      expect(postsTo(t.slack, clickUrl).map((p) => p.body.replace_original)).toEqual([true]);
      expect((await storedSession(sessionId)).savedAt).toEqual(expect.any(String));
      expect(
        await redis.client.exists(destinationKey(DEFAULT_ACTOR.teamId, VALID_SETTINGS.bucket)),
      ).toBe(1);
    },
  );

  it('names only the check that timed out when the rest of S3 answers', async () => {
    const { sessionId } = await submitSetup(t, t.slack, { responseUrl: nextResponseUrl() });
    const clickUrl = nextResponseUrl();
    s3.setFault({ op: 'HeadObject', kind: 'slow', delayMs: S3_TIMEOUT_MS * 30 });

    const failed = await checkAndSave(sessionId, clickUrl);

    expect(failed).toContain(
      `:x: *Challenge file*: ${explainCheck('challenge', 'timeout', context)}`,
    );
    expect(failed).toContain(`:white_check_mark: *List the bucket*`);
    expect(failed).toContain(`:white_check_mark: *Write an object*`);
    expect(failed).toContain(OPERATOR_SIDE);
    expect((await storedSession(sessionId)).savedAt).toBeUndefined();

    s3.reset();
    expect(await checkAndSave(sessionId, clickUrl)).toContain(
      `connected \`${VALID_SETTINGS.bucket}\``,
    );
  });
});
