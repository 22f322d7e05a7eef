import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { types } from '@slack/bolt';
import type { SavedDestination, Stores } from '../../src/store';
import { destinationKey, verifyLockKey } from '../../src/store/keys';
import { MAX_LISTED } from '../../src/slack/views/destination-list';
import { CHALLENGE_NOT_FOUND_TEXT } from '../../src/verify/explain';
import { blockKitViolations } from '../support/block-kit-limits';
import { visibleText } from '../support/message-text';
import { startLocalParts, type LocalParts } from '../support/local-parts';
import type { TestRedis } from '../support/redis';
import type { LocalS3 } from '../support/s3-local';
import {
  DEFAULT_ACTOR,
  blockActionPayload,
  buttonAction,
  slashCommandBody,
  type Actor,
} from '../support/slack-payloads';
import type { RecordedCall } from '../support/slack-stand-in';
import type { TestApp, TestAppOptions } from '../support/test-app';
import { destinationSettings } from '../support/fixtures';

const TEAM = DEFAULT_ACTOR.teamId;
const OTHER_TEAM = 'T0OTHER';
const ADMIN = 'U0ADMIN';
const MEMBER = 'U0BOB';

interface Reply {
  response_type?: string;
  replace_original?: boolean;
  text: string;
  blocks?: unknown[];
}

interface Button {
  action_id: string;
  value: string;
}

function buttonsOf(message: Record<string, unknown>): Button[] {
  return ((message.blocks ?? []) as { elements?: unknown[] }[])
    .flatMap((block) => block.elements ?? [])
    .filter((element): element is Button & { type: string } => {
      return (element as { type?: string }).type === 'button';
    })
    .map(({ action_id, value }) => ({ action_id, value }));
}

function challengeKey(): string {
  return `s3-destination-challenge-file-${randomUUID()}`;
}

function savedDestination(
  overrides: Partial<Omit<SavedDestination, 'settings'>> & {
    settings?: Partial<SavedDestination['settings']>;
  } = {},
): SavedDestination {
  const { settings, ...rest } = overrides;
  return {
    teamId: TEAM,
    version: 0,
    channelId: 'C0SETUP',
    connectedBy: 'U0CAROL',
    challengeKey: challengeKey(),
    verifiedAt: '2024-05-01T10:00:00.000Z',
    lastCheck: { at: '2024-05-01T10:00:00.000Z', ok: true, summary: 'All checks passed' },
    ...rest,
    settings: destinationSettings({ bucket: 'acme-exports', ...settings }),
  };
}

/** Runs `act` and resolves with the next call to `method` it causes. */
async function nextCall(
  t: TestApp,
  method: string,
  act: () => Promise<unknown>,
): Promise<RecordedCall> {
  const seen = t.slack.callsTo(method).length;
  await act();
  return t.slack.waitForCall(method, seen + 1);
}

/** The body of a command's HTTP answer: the ack, parsed, or undefined for a bare ack. */
async function ackBody(response: Response): Promise<Reply | undefined> {
  expect(response.status).toBe(200);
  const text = await response.text();
  return text === '' ? undefined : (JSON.parse(text) as Reply);
}

function click(t: TestApp, actionId: string, value: string, actor: Partial<Actor> = {}) {
  return t.interact(
    blockActionPayload({ ...DEFAULT_ACTOR, ...actor }, buttonAction(actionId, value), {
      responseUrl: t.slack.responseUrl('remove-confirmation'),
    }),
  );
}

/** `/s3-destination remove <bucket>` as `actor`; resolves with the confirmation and its buttons. */
async function askToRemove(t: TestApp, bucket: string, actor: Partial<Actor> = {}) {
  const call = await nextCall(t, 'response_url', () => t.command(`remove ${bucket}`, actor));
  const buttons = buttonsOf(call.body);
  const byId = (id: string) => buttons.find((button) => button.action_id === id);
  return { call, confirm: byId('confirm_remove'), cancel: byId('cancel_remove') };
}

let redis: TestRedis;
let seeded: Stores;
let s3: LocalS3;
let local: LocalParts;

beforeAll(async () => {
  local = await startLocalParts();
  ({ redis, seeded, s3 } = local);
});
afterAll(async () => {
  await local?.stop();
});

function startApp(options: TestAppOptions = {}): Promise<TestApp> {
  return local.startApp({ ...options });
}

describe('/s3-destination list', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await startApp();
  });
  afterEach(async () => {
    await t.stop();
    await redis.flush();
  });

  it('answers through the response_url, to the caller alone, never in the channel', async () => {
    await seeded.destinations.save(savedDestination());

    const call = await nextCall(t, 'response_url', async () => {
      expect(await ackBody(await t.command('list'))).toBeUndefined();
    });

    expect(call.body.response_type).toBe('ephemeral');
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(t.slack.callsTo('chat.postEphemeral')).toHaveLength(0);
  });

  it('logs, rather than fails, a reply to a command that came without a response_url', async () => {
    const body = new URLSearchParams(slashCommandBody('list', DEFAULT_ACTOR, ''));
    body.delete('response_url');

    const response = await t.post(body.toString());
    const logged = () => t.logs.some((line) => line.includes('without a response_url'));
    for (let waited = 0; !logged() && waited < 100; waited += 1) await sleep(50);

    expect(response.status).toBe(200);
    expect(logged()).toBe(true);
    expect(t.logs.some((line) => line.includes('unhandled error in a Slack listener'))).toBe(false);
  });

  it('says how to connect a bucket when none is connected', async () => {
    const call = await nextCall(t, 'response_url', () => t.command('list'));

    expect(call.body.response_type).toBe('ephemeral');
    const shown = visibleText(call.body);
    expect(shown).toContain('No S3 destinations are connected in this workspace yet');
    expect(shown).toContain('`/s3-destination setup`');
  });

  it("shows each of this workspace's destinations in full, and no challenge name", async () => {
    const csv = savedDestination({
      connectedBy: 'U0CAROL',
      verifiedAt: '2024-05-01T10:00:00.000Z',
      lastCheck: { at: '2024-05-02T08:30:00.000Z', ok: false, summary: 'Failed: Challenge file' },
      settings: {
        bucket: 'acme-csv-exports',
        region: 'eu-west-1',
        format: 'csv',
        csvDelimiter: 'pipe',
        csvForceQuote: true,
        keyTemplate: 'loads/[integration_name]/[table_name]/[table_version]_[timestamp_loaded]',
      },
    });
    const jsonl = savedDestination({
      connectedBy: 'U0DAVE',
      settings: { bucket: 'acme-jsonl-exports', region: 'us-east-1', format: 'jsonl' },
    });
    const elsewhere = savedDestination({
      teamId: OTHER_TEAM,
      settings: { bucket: 'other-team-bucket' },
    });
    for (const destination of [csv, jsonl, elsewhere]) {
      await seeded.destinations.save(destination);
    }

    const call = await nextCall(t, 'response_url', () => t.command('list'));

    const shown = visibleText(call.body);
    expect(shown).toContain('S3 destinations in this workspace (2)');
    expect(shown).toContain('`acme-csv-exports`');
    expect(shown).toContain('Europe (Ireland) · eu-west-1');
    expect(shown).toContain('CSV, pipe-delimited, all elements quoted');
    expect(shown).toContain(
      '`loads/[integration_name]/[table_name]/[table_version]_[timestamp_loaded]`',
    );
    expect(shown).toContain('Connected by <@U0CAROL>');
    // Slack date tokens: 2024-05-01T10:00Z and 2024-05-02T08:30Z in epoch seconds.
    expect(shown).toContain('verified <!date^1714557600^');
    expect(shown).toContain('|2024-05-01T10:00:00.000Z>');
    expect(shown).toContain('last check :x: Failed: Challenge file, <!date^1714638600^');

    expect(shown).toContain('`acme-jsonl-exports`');
    expect(shown).toContain('US East (N. Virginia) · us-east-1');
    expect(shown).toContain('JSON Lines');
    expect(shown).toContain('Connected by <@U0DAVE>');
    expect(shown).toContain('last check :white_check_mark: All checks passed');

    expect(shown).not.toContain('other-team-bucket');
    const raw = JSON.stringify(call.body);
    for (const destination of [csv, jsonl, elsewhere]) {
      expect(raw).not.toContain(destination.challengeKey);
    }
    expect(raw).not.toContain('s3-destination-challenge-file-');
  });

  it('lists 40 destinations a page at a time, sorted, with Previous and Next buttons', async () => {
    const buckets = Array.from({ length: 40 }, (_, i) => `acme-bulk-${100 + i}`);
    for (const bucket of [...buckets].reverse()) {
      await seeded.destinations.save(savedDestination({ settings: { bucket } }));
    }

    const pages: string[] = [];
    let call = await nextCall(t, 'response_url', () => t.command('list'));
    for (;;) {
      const message = call.body as { blocks: types.KnownBlock[] };
      expect(blockKitViolations(message, 'message')).toEqual([]);
      pages.push(visibleText(message));
      const next = buttonsOf(call.body).find((button) => button.value === String(pages.length));
      if (!next) break;
      expect(next.action_id).toBe('list_page');
      call = await nextCall(t, 'response_url', () => click(t, 'list_page', next.value));
      expect(call.body.replace_original).toBe(true);
    }

    expect(pages).toHaveLength(Math.ceil(buckets.length / MAX_LISTED));
    expect(pages[0]).toContain(`S3 destinations in this workspace (${buckets.length})`);
    expect(pages[0]).toContain(`page 1 of ${pages.length}`);
    const shownInOrder = pages.join('\n').match(/acme-bulk-\d+/g);
    expect(shownInOrder).toEqual(buckets);
  });

  it('ends the list with the workspace’s recent activity', async () => {
    const bucket = 'acme-audited';
    await seeded.destinations.save(savedDestination({ settings: { bucket } }));
    await seeded.audit.append(TEAM, {
      at: '2024-05-01T10:00:00.000Z',
      actor: 'U0CAROL',
      action: 'check_and_save',
      bucket,
      outcome: 'All checks passed',
    });
    await seeded.audit.append('T0OTHER', {
      at: '2024-05-01T10:00:00.000Z',
      actor: 'U0MALLORY',
      action: 'remove',
      bucket: 'not-for-this-workspace',
      outcome: 'removed',
    });

    const call = await nextCall(t, 'response_url', () => t.command('list'));

    const shown = visibleText(call.body);
    expect(shown).toContain('Recent activity');
    expect(shown).toContain(`<@U0CAROL> ran Check and Save on \`${bucket}\`: All checks passed`);
    expect(shown).not.toContain('not-for-this-workspace');
  });

  it('shows a destination whose channel the bot cannot post in', async () => {
    await seeded.destinations.save(
      savedDestination({
        settings: { bucket: 'acme-quiet' },
        channelUnreachable: { since: '2024-05-02T10:00:00.000Z', error: 'is_archived' },
      }),
    );

    const call = await nextCall(t, 'response_url', () => t.command('list'));

    expect(visibleText(call.body)).toContain('The bot cannot post in <#C0SETUP> (is_archived)');
  });
});

describe('/s3-destination verify <bucket>', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await startApp();
  });
  afterEach(async () => {
    await t.stop();
    await redis.flush();
  });

  /** A bucket in the local S3 holding its challenge file, saved as a destination. */
  async function connectedBucket(): Promise<SavedDestination> {
    const destination = savedDestination({
      channelId: 'C0SETUP',
      lastCheck: { at: '2024-05-01T10:00:00.000Z', ok: true, summary: 'All checks passed' },
      settings: { bucket: `acme-verify-${randomUUID().slice(0, 8)}`, region: 'us-east-1' },
    });
    await s3.createBucket(destination.settings.bucket);
    await s3.putObject(destination.settings.bucket, destination.challengeKey);
    await seeded.destinations.save(destination);
    return destination;
  }

  it('tells the invoking channel, records each outcome, and never names the challenge file', async () => {
    const destination = await connectedBucket();
    const { bucket } = destination.settings;
    const here = { channelId: 'C0LOADS', userId: MEMBER };

    const passed = await nextCall(t, 'chat.postMessage', async () => {
      expect(await ackBody(await t.command(`verify ${bucket}`, here))).toBeUndefined();
    });
    expect(t.slack.callsTo('response_url').map((call) => call.body)).toEqual([
      expect.objectContaining({ response_type: 'ephemeral', text: `Checking \`${bucket}\`…` }),
    ]);

    expect(passed.body.channel).toBe('C0LOADS');
    expect(passed.body.text).toBe(`S3 destination ${bucket}: all checks passed`);
    expect(visibleText(passed.body)).toContain(
      `<@${MEMBER}> verified \`${bucket}\`: all checks passed`,
    );
    const afterPass = await seeded.destinations.get(TEAM, bucket);
    expect(afterPass?.lastCheck).toMatchObject({ ok: true, summary: 'All checks passed' });
    expect(afterPass?.lastCheck.at).not.toBe(destination.lastCheck.at);
    expect(afterPass?.verifiedAt).toBe(afterPass?.lastCheck.at);

    await s3.deleteObject(bucket, destination.challengeKey);
    const failed = await nextCall(t, 'chat.postMessage', () => t.command(`verify ${bucket}`, here));

    expect(failed.body.channel).toBe('C0LOADS');
    expect(failed.body.text).toBe(`S3 destination ${bucket}: Failed: Challenge file`);
    const shown = visibleText(failed.body);
    expect(shown).toContain(`<@${MEMBER}> ran the checks on \`${bucket}\` and 1 failed.`);
    expect(shown).toContain(CHALLENGE_NOT_FOUND_TEXT);
    expect(shown).toContain(`run \`/s3-destination verify ${bucket}\``);
    const afterFail = await seeded.destinations.get(TEAM, bucket);
    expect(afterFail?.lastCheck).toMatchObject({ ok: false, summary: 'Failed: Challenge file' });
    // verifiedAt is the last time every check passed.
    expect(afterFail?.verifiedAt).toBe(afterPass?.verifiedAt);
    expect(await s3.objectExists(bucket, destination.challengeKey)).toBe(false);

    expect(await t.deps.tasks.drain(5000)).toBe(true);
    const everything = [...t.slack.calls.map((call) => JSON.stringify(call)), ...t.logs];
    expect(everything.join('\n')).not.toContain(destination.challengeKey);
  });

  it('posts through the response_url, for the channel, where the bot may not post', async () => {
    const destination = await connectedBucket();
    const { bucket } = destination.settings;
    t.slack.answer('chat.postMessage', { ok: false, error: 'not_in_channel' });

    await t.command(`verify ${bucket}`);
    // First "Checking …" to the caller, then the result for the channel.
    const told = await t.slack.waitForCall('response_url', 2);

    expect(told.body).toMatchObject({
      response_type: 'in_channel',
      text: `S3 destination ${bucket}: all checks passed`,
    });
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(JSON.stringify(told.body)).not.toContain(destination.challengeKey);
  });

  it('tells the caller alone when no destination has that name, and checks nothing', async () => {
    await seeded.destinations.save(
      savedDestination({ teamId: OTHER_TEAM, settings: { bucket: 'other-team-bucket' } }),
    );

    for (const bucket of ['never-connected', 'other-team-bucket']) {
      const call = await nextCall(t, 'response_url', () => t.command(`verify ${bucket}`));

      expect(call.body).toMatchObject({
        response_type: 'ephemeral',
        text: `No saved destination is called \`${bucket}\` in this workspace. See \`/s3-destination list\`.`,
      });
    }
    await t.deps.tasks.drain(5000);
    // One answer each: no "Checking…" before the news that there is nothing to check.
    expect(t.slack.callsTo('response_url')).toHaveLength(2);
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect((await seeded.destinations.get(OTHER_TEAM, 'other-team-bucket'))?.lastCheck.at).toBe(
      '2024-05-01T10:00:00.000Z',
    );
  });

  it('asks for the bucket when none is given, with usage', async () => {
    const ack = await ackBody(await t.command('verify'));

    expect(ack?.response_type).toBe('ephemeral');
    const shown = visibleText(ack);
    expect(shown).toContain('Name the bucket: `/s3-destination verify <bucket>`.');
    expect(shown).toContain('`/s3-destination list`');
    expect(t.slack.calls).toHaveLength(0);
  });

  it('says a pasted URL is not a bucket name', async () => {
    const ack = await ackBody(await t.command('verify s3://acme-exports/'));

    expect(ack).toMatchObject({
      response_type: 'ephemeral',
      text: '`s3://acme-exports/` is not a bucket name. See `/s3-destination list` for saved destinations.',
    });
    expect(t.slack.calls).toHaveLength(0);
  });

  it('tells the caller when a check of that bucket is already running, and runs no second one', async () => {
    const destination = await connectedBucket();
    const { bucket } = destination.settings;
    const lockKey = verifyLockKey(TEAM, `destination:${bucket}`);
    const token = await seeded.locks.acquire(lockKey, 30000);
    expect(token).toBeDefined();

    const call = await nextCall(t, 'response_url', () => t.command(`verify ${bucket}`));

    expect(call.body).toMatchObject({
      response_type: 'ephemeral',
      text: `A check of \`${bucket}\` is already running: its result will appear in the channel.`,
    });
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect((await seeded.destinations.get(TEAM, bucket))?.lastCheck).toEqual(destination.lastCheck);
    await seeded.locks.release(lockKey, token!);
  });
});

describe('/s3-destination remove <bucket>', () => {
  let t: TestApp;
  const destination = savedDestination({ settings: { bucket: 'acme-old-exports' } });
  const bucket = destination.settings.bucket;

  beforeEach(async () => {
    t = await startApp();
    await seeded.destinations.save(destination);
  });
  afterEach(async () => {
    await t.stop();
    await redis.flush();
  });

  it('asks the caller alone to confirm, and removes nothing yet', async () => {
    const { call, confirm, cancel } = await askToRemove(t, bucket);

    expect(call.body.response_type).toBe('ephemeral');
    expect(visibleText(call.body)).toContain(`Remove the S3 destination \`${bucket}\`?`);
    expect(confirm).toEqual({ action_id: 'confirm_remove', value: JSON.stringify({ bucket }) });
    expect(cancel).toEqual({ action_id: 'cancel_remove', value: JSON.stringify({ bucket }) });
    expect(await seeded.destinations.get(TEAM, bucket)).toEqual({ ...destination, version: 1 });
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('keeps the destination when the caller cancels', async () => {
    const { cancel } = await askToRemove(t, bucket);

    const reply = await nextCall(t, 'response_url', () => click(t, 'cancel_remove', cancel!.value));

    expect(reply.body).toMatchObject({
      replace_original: true,
      text: `Kept \`${bucket}\`. Nothing was removed.`,
    });
    expect(await seeded.destinations.get(TEAM, bucket)).toEqual({ ...destination, version: 1 });
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('removes it on confirm and tells the channel what may now be cleaned up', async () => {
    const { confirm } = await askToRemove(t, bucket);

    const reply = await nextCall(t, 'response_url', () =>
      click(t, 'confirm_remove', confirm!.value),
    );
    const told = await t.slack.waitForCall('chat.postMessage');

    expect(reply.body).toMatchObject({ replace_original: true, text: `Removed \`${bucket}\`.` });
    expect(told.body.channel).toBe(DEFAULT_ACTOR.channelId);
    const notice = visibleText(told.body);
    expect(notice).toContain(`<@${DEFAULT_ACTOR.userId}> removed the S3 destination \`${bucket}\``);
    expect(notice).toContain(
      'you may now remove our two statements of its bucket policy (`S3DestinationListBucket` and `S3DestinationReadWriteObjects`), the challenge file, and `_s3_destination_write_check`',
    );
    expect(JSON.stringify(told.body)).not.toContain(destination.challengeKey);
    expect(await seeded.destinations.get(TEAM, bucket)).toBeUndefined();
    expect(await seeded.destinations.list(TEAM)).toEqual([]);
    expect(await redis.client.exists(destinationKey(TEAM, bucket))).toBe(0);
  });

  it('says so on a second confirm, and tells the channel only once', async () => {
    const { confirm } = await askToRemove(t, bucket);
    await nextCall(t, 'response_url', () => click(t, 'confirm_remove', confirm!.value));
    await t.slack.waitForCall('chat.postMessage');

    const again = await nextCall(t, 'response_url', () =>
      click(t, 'confirm_remove', confirm!.value),
    );

    expect(again.body).toMatchObject({
      replace_original: true,
      text: `\`${bucket}\` was already removed.`,
    });
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('lets any member confirm when no admins are configured, naming who removed it', async () => {
    const { confirm } = await askToRemove(t, bucket);

    await nextCall(t, 'response_url', () =>
      click(t, 'confirm_remove', confirm!.value, { userId: MEMBER }),
    );
    const told = await t.slack.waitForCall('chat.postMessage');

    expect(visibleText(told.body)).toContain(`<@${MEMBER}> removed the S3 destination`);
    expect(await seeded.destinations.get(TEAM, bucket)).toBeUndefined();
  });

  it("never removes another workspace's destination of the same name", async () => {
    const { confirm } = await askToRemove(t, bucket);

    const reply = await nextCall(t, 'response_url', () =>
      click(t, 'confirm_remove', confirm!.value, { teamId: OTHER_TEAM }),
    );

    expect(reply.body.text).toBe(`\`${bucket}\` was already removed.`);
    expect(await seeded.destinations.get(TEAM, bucket)).toEqual({ ...destination, version: 1 });
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('tells the caller alone when no destination has that name', async () => {
    const call = await nextCall(t, 'response_url', () => t.command('remove never-connected'));

    expect(call.body).toMatchObject({
      response_type: 'ephemeral',
      text: 'No saved destination is called `never-connected` in this workspace. See `/s3-destination list`.',
    });
    expect(buttonsOf(call.body)).toEqual([]);
    expect(await seeded.destinations.get(TEAM, bucket)).toEqual({ ...destination, version: 1 });
  });

  it('asks for the bucket when none is given', async () => {
    const ack = await ackBody(await t.command('remove'));

    expect(visibleText(ack)).toContain('Name the bucket: `/s3-destination remove <bucket>`.');
    expect(t.slack.calls).toHaveLength(0);
  });

  it('refuses a button whose value is not a destination', async () => {
    const reply = await nextCall(t, 'response_url', () => click(t, 'confirm_remove', 'garbage'));

    expect(reply.body.text).toBe(
      'This button is not valid any more: run `/s3-destination remove <bucket>` again.',
    );
    expect(await seeded.destinations.get(TEAM, bucket)).toEqual({ ...destination, version: 1 });
  });
});

describe('/s3-destination help and mistakes', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.stop();
  });

  it.each(['help', '', '   ', 'HELP'])(
    'answers %j with usage, to the caller alone',
    async (text) => {
      const ack = await ackBody(await t.command(text));

      expect(ack?.response_type).toBe('ephemeral');
      const shown = visibleText(ack);
      for (const line of [
        '`/s3-destination setup`',
        '`/s3-destination list`',
        '`/s3-destination verify <bucket>`',
        '`/s3-destination remove <bucket>`',
        '`/s3-destination help`',
      ]) {
        expect(shown).toContain(line);
      }
      expect(shown).not.toContain('Did you mean');
      expect(t.slack.calls).toHaveLength(0);
    },
  );

  it.each([
    ['lsit', 'list'],
    ['verfy acme-exports', 'verify'],
    ['remvoe acme-exports', 'remove'],
    ['stup', 'setup'],
  ])('answers the near miss %j with "did you mean %s"', async (text, meant) => {
    const ack = await ackBody(await t.command(text));

    expect(ack?.response_type).toBe('ephemeral');
    const typed = text.split(' ')[0];
    expect(visibleText(ack)).toContain(
      `I don't know \`${typed}\`. Did you mean \`/s3-destination ${meant}\`?`,
    );
    expect(visibleText(ack)).toContain('`/s3-destination help`');
    expect(t.slack.calls).toHaveLength(0);
  });

  it('answers unknown words with usage and no guess', async () => {
    const ack = await ackBody(await t.command('frobnicate the buckets'));

    const shown = visibleText(ack);
    expect(shown).toContain("I don't know `frobnicate`.");
    expect(shown).not.toContain('Did you mean');
    expect(shown).toContain('`/s3-destination list`');
    expect(t.slack.calls).toHaveLength(0);
  });

  it('never echoes typed mrkdwn back as a mention or link', async () => {
    const ack = await ackBody(await t.command('<!channel>'));

    const shown = visibleText(ack);
    expect(shown).not.toContain('<!channel>');
    expect(shown).toContain('&lt;!channel&gt;');
  });
});

describe('ADMIN_USER_IDS', () => {
  let t: TestApp;
  const destination = savedDestination({ settings: { bucket: 'acme-guarded-exports' } });
  const bucket = destination.settings.bucket;
  const refusal = 'Only the workspace’s S3 destination admins can remove destinations.';

  beforeAll(async () => {
    await s3.createBucket(bucket);
    await s3.putObject(bucket, destination.challengeKey);
  });
  beforeEach(async () => {
    t = await startApp({ settings: { adminUserIds: [ADMIN] } });
    await seeded.destinations.save(destination);
  });
  afterEach(async () => {
    await t.stop();
    await redis.flush();
  });

  it('refuses setup to a non-admin, and opens nothing', async () => {
    const ack = await ackBody(await t.command('setup', { userId: MEMBER }));

    expect(ack).toEqual({
      response_type: 'ephemeral',
      text: 'Only the workspace’s S3 destination admins can run setup. Ask one of them to connect the bucket.',
    });
    expect(t.slack.calls).toHaveLength(0);
  });

  it('opens setup for an admin', async () => {
    const open = await nextCall(t, 'views.open', () => t.command('setup', { userId: ADMIN }));

    expect(open.body.trigger_id).toMatch(/^trigger-/);
  });

  it('refuses remove to a non-admin, asks nothing and keeps the destination', async () => {
    const ack = await ackBody(await t.command(`remove ${bucket}`, { userId: MEMBER }));

    expect(ack).toEqual({ response_type: 'ephemeral', text: refusal });
    expect(t.slack.calls).toHaveLength(0);
    expect(await seeded.destinations.get(TEAM, bucket)).toEqual({ ...destination, version: 1 });
  });

  it("refuses a non-admin's click on Remove, and keeps the destination", async () => {
    const { confirm } = await askToRemove(t, bucket, { userId: ADMIN });

    const reply = await nextCall(t, 'response_url', () =>
      click(t, 'confirm_remove', confirm!.value, { userId: MEMBER }),
    );

    expect(reply.body).toMatchObject({ replace_original: true, text: refusal });
    expect(await seeded.destinations.get(TEAM, bucket)).toEqual({ ...destination, version: 1 });
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('lets an admin remove', async () => {
    const { confirm } = await askToRemove(t, bucket, { userId: ADMIN });

    await nextCall(t, 'response_url', () =>
      click(t, 'confirm_remove', confirm!.value, { userId: ADMIN }),
    );
    const told = await t.slack.waitForCall('chat.postMessage');

    expect(visibleText(told.body)).toContain(`<@${ADMIN}> removed the S3 destination`);
    expect(await seeded.destinations.get(TEAM, bucket)).toBeUndefined();
  });

  it('refuses Check and Save to a user who is no longer an admin, and saves nothing', async () => {
    const sessionId = randomUUID();
    await seeded.sessions.put({
      id: sessionId,
      teamId: TEAM,
      userId: MEMBER,
      channelId: 'C0SETUP',
      settings: { ...destination.settings, bucket: 'acme-started-earlier' },
      challengeKey: challengeKey(),
      createdAt: new Date().toISOString(),
    });

    const reply = await nextCall(t, 'response_url', () =>
      click(t, 'check_and_save', sessionId, { userId: MEMBER }),
    );

    expect(visibleText(reply.body)).toContain(
      'Only the workspace’s S3 destination admins can save',
    );
    expect(await seeded.destinations.get(TEAM, 'acme-started-earlier')).toBeUndefined();
    expect(t.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('keeps list open to everyone', async () => {
    const call = await nextCall(t, 'response_url', () => t.command('list', { userId: MEMBER }));

    expect(call.body.response_type).toBe('ephemeral');
    expect(visibleText(call.body)).toContain(`\`${bucket}\``);
  });

  it('keeps verify open to everyone', async () => {
    const told = await nextCall(t, 'chat.postMessage', () =>
      t.command(`verify ${bucket}`, { userId: MEMBER }),
    );

    expect(told.body.text).toBe(`S3 destination ${bucket}: all checks passed`);
    expect((await seeded.destinations.get(TEAM, bucket))?.lastCheck.ok).toBe(true);
  });

  it('keeps help open to everyone', async () => {
    const ack = await ackBody(await t.command('help', { userId: MEMBER }));

    expect(visibleText(ack)).toContain('`/s3-destination setup`');
  });
});
