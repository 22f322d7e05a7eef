import { destinationKey, sessionKey } from '../../src/store/keys';
import { CHALLENGE_NOT_FOUND_TEXT, explainCheck, isOperatorFault } from '../../src/verify/explain';
import { WRITE_CHECK_KEY, type CheckOutcome } from '../../src/verify/report';
import { DEFAULT_ACTOR } from '../support/slack-payloads';
import type { TestRedis } from '../support/redis';
import { DEFAULT_OWNER_ID, type Fault, type FaultServer } from '../support/s3-fault-server';
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
const NOTHING_TO_FIX = 'Nothing to fix on your side: check again in a minute.';
const OPERATOR_SIDE = 'At least one failure is on the bot’s side, not your bucket';
const context = { bucket: VALID_SETTINGS.bucket, region: VALID_SETTINGS.region };
/** The canonical ID of an account other than the bucket owner's (the bot's, on an ACL bucket). */
const OTHER_OWNER_ID = 'be2fe74dc7e8f8d5c89e6dfd89e90b8fdecabf89e1a69d55e49b009fd9da59a7';

describe('S3 timing out, dropping connections or failing during Check and Save', () => {
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

  async function storedDestination(): Promise<Record<string, unknown> | null> {
    const raw = await redis.client.get(destinationKey(DEFAULT_ACTOR.teamId, VALID_SETTINGS.bucket));
    return raw === null ? null : (JSON.parse(raw) as Record<string, unknown>);
  }

  const notRun = (label: string, check: 'list' | 'write' | 'ownership') =>
    `:heavy_minus_sign: *${label}*: ${explainCheck(check, 'not_run', context)}`;

  it.each<[string, Fault, CheckOutcome, string | undefined]>([
    [
      'S3 answers slower than the timeout',
      { kind: 'slow', delayMs: S3_TIMEOUT_MS * 30 },
      'timeout',
      undefined,
    ],
    ['S3 resets every connection', { kind: 'reset' }, 'transient', undefined],
    ['S3 answers 503 Service Unavailable', { kind: 'ServiceUnavailable' }, 'transient', 'HTTP 503'],
    ['S3 answers 500 Internal Error', { kind: 'InternalError' }, 'transient', 'HTTP 500'],
  ])(
    'when %s: says there is nothing to fix, writes nothing, keeps the session, and succeeds later',
    async (_name, fault, outcome, detail) => {
      const { sessionId } = await submitSetup(t, t.slack, { responseUrl: nextResponseUrl() });
      const clickUrl = nextResponseUrl();
      s3.setFault(fault);

      const failed = await checkAndSave(sessionId, clickUrl);

      expect(isOperatorFault(outcome)).toBe(false);
      // HeadObject and HeadBucket have no body: S3's answer is only its status.
      const shown = { ...context, ...(detail === undefined ? {} : { detail }) };
      expect(failed).toContain(
        `:x: *Challenge file*: ${explainCheck('challenge', outcome, shown)}`,
      );
      expect(failed).toContain(`:x: *Bucket region*: ${explainCheck('region', outcome, shown)}`);
      expect(failed).toContain(notRun('List the bucket', 'list'));
      expect(failed).toContain(notRun('Write an object', 'write'));
      expect(failed).toContain(notRun('Object ownership', 'ownership'));
      expect(failed).toContain(NOTHING_TO_FIX);
      expect(failed).not.toContain(OPERATOR_SIDE);
      expect(failed).not.toContain('Nothing was saved yet');
      expect(s3.requests.filter((request) => request.operation === 'PutObject')).toEqual([]);
      expect((await storedSession(sessionId)).savedAt).toBeUndefined();
      expect(await storedDestination()).toBeNull();
      // The one-time instructions stay on screen for the next try: nothing replaced them.
      expect(postsTo(t.slack, clickUrl)).toEqual([]);

      s3.reset();
      const succeeded = await checkAndSave(sessionId, clickUrl);

      expect(succeeded).toContain(`connected \`${VALID_SETTINGS.bucket}\``);
      expect(postsTo(t.slack, clickUrl).map((p) => p.body.replace_original)).toEqual([true]);
      expect((await storedSession(sessionId)).savedAt).toEqual(expect.any(String));
      expect(await storedDestination()).not.toBeNull();
    },
  );

  it('names only the check that timed out when the rest of S3 answers', async () => {
    const { sessionId } = await submitSetup(t, t.slack, { responseUrl: nextResponseUrl() });
    const clickUrl = nextResponseUrl();
    s3.setFault({ op: 'PutObject', kind: 'slow', delayMs: S3_TIMEOUT_MS * 30 });

    const failed = await checkAndSave(sessionId, clickUrl);

    expect(failed).toContain(`:x: *Write an object*: ${explainCheck('write', 'timeout', context)}`);
    expect(failed).toContain(`:white_check_mark: *Challenge file*`);
    expect(failed).toContain(`:white_check_mark: *List the bucket*`);
    expect(failed).toContain(`:white_check_mark: *Bucket region*`);
    expect(failed).toContain(':heavy_minus_sign: *Object ownership*');
    expect(failed).toContain(NOTHING_TO_FIX);
    expect((await storedSession(sessionId)).savedAt).toBeUndefined();

    s3.reset();
    expect(await checkAndSave(sessionId, clickUrl)).toContain(
      `connected \`${VALID_SETTINGS.bucket}\``,
    );
  });

  it('writes nothing while the challenge file has not answered in time', async () => {
    const { sessionId } = await submitSetup(t, t.slack, { responseUrl: nextResponseUrl() });
    const clickUrl = nextResponseUrl();
    s3.setFault({ op: 'HeadObject', kind: 'slow', delayMs: S3_TIMEOUT_MS * 30 });

    const failed = await checkAndSave(sessionId, clickUrl);

    expect(failed).toContain(
      `:x: *Challenge file*: ${explainCheck('challenge', 'timeout', context)}`,
    );
    expect(failed).toContain(notRun('Write an object', 'write'));
    expect(failed).toContain(`:white_check_mark: *Bucket region*`);
    expect(s3.requests.map((request) => request.operation).sort()).toEqual([
      'HeadBucket',
      'HeadObject',
    ]);
    expect((await storedSession(sessionId)).savedAt).toBeUndefined();
  });

  it('a missing challenge file gets the reference 404 text, and nothing is written or saved', async () => {
    const { sessionId } = await submitSetup(t, t.slack, { responseUrl: nextResponseUrl() });
    const clickUrl = nextResponseUrl();
    s3.setFault({ op: 'HeadObject', kind: 'NotFound' });

    const failed = await checkAndSave(sessionId, clickUrl);

    expect(failed).toContain(`:x: *Challenge file*: ${CHALLENGE_NOT_FOUND_TEXT}\n`);
    expect(failed).toContain('Nothing was saved yet');
    expect(s3.requests.filter((request) => request.operation === 'PutObject')).toEqual([]);
    expect(await storedDestination()).toBeNull();
  });

  it('saves a bucket whose objects would belong to the bot, with a warning, pinning the owner', async () => {
    const { sessionId, challengeKey } = await submitSetup(t, t.slack, {
      responseUrl: nextResponseUrl(),
    });
    const clickUrl = nextResponseUrl();
    s3.addObject(challengeKey);
    s3.addObject(WRITE_CHECK_KEY, { ownerId: OTHER_OWNER_ID });

    const saved = await checkAndSave(sessionId, clickUrl);

    expect(saved).toContain(
      `connected \`${VALID_SETTINGS.bucket}\` as an S3 destination, with a warning`,
    );
    expect(saved).toContain(
      `:warning: *Object ownership*: ${explainCheck('ownership', 'owner_differs', context)}`,
    );
    expect((await storedSession(sessionId)).savedAt).toEqual(expect.any(String));
    expect(await storedDestination()).toMatchObject({ ownerId: DEFAULT_OWNER_ID });
  });
});
