import { runInThisContext } from 'node:vm';
import type { DestinationSettings } from '../../src/domain/destination';
import { ACTION, RESETUP_CALLBACK_ID } from '../../src/slack/ids';
import {
  DEFAULT_ACTOR,
  blockActionPayload,
  buttonAction,
  interactionBody,
  resetupConfirmationPayload,
  setupStateValues,
  setupSubmissionPayload,
  slashCommandBody,
  type Actor,
} from '../support/slack-payloads';
import { createRedisStores } from '../../src/store';
import { testRedis, type TestRedis } from '../support/redis';
import { startFaultServer, type FaultServer } from '../support/s3-fault-server';
import { localVerifier } from '../support/s3-local';
import type { RecordedCall, SlackStandIn } from '../support/slack-stand-in';
import { startTestApp, type TestApp } from '../support/test-app';
import { destinationSettings } from '../support/fixtures';

export const CHALLENGE = /s3-destination-challenge-file-[0-9a-f-]{36}/;

export const VALID_SETTINGS: DestinationSettings = destinationSettings();

/** Something that takes signed Slack requests: the in-process test app or a spawned bot. */
export interface SignedSender {
  post(body: string, contentType?: string): Promise<Response>;
}

/** Polls until `condition` holds; fails naming `what` when it never does. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The posts that reached one response_url of the stand-in, in order. */
export function postsTo(slack: SlackStandIn, responseUrl: string): RecordedCall[] {
  const path = new URL(responseUrl).pathname;
  return slack.callsTo('response_url').filter((call) => call.body.url === path);
}

/** Waits for the n-th post to `responseUrl` and returns it. */
export async function waitForPostTo(
  slack: SlackStandIn,
  responseUrl: string,
  count = 1,
): Promise<RecordedCall> {
  await waitUntil(
    () => postsTo(slack, responseUrl).length >= count,
    `post #${count} to ${responseUrl}`,
  );
  return postsTo(slack, responseUrl)[count - 1];
}

/** Waits for the n-th call to `method` whose body matches `where`. */
export async function waitForCallWhere(
  slack: SlackStandIn,
  method: string,
  where: (body: Record<string, unknown>) => boolean,
  count = 1,
): Promise<RecordedCall> {
  const matching = () => slack.callsTo(method).filter((call) => where(call.body));
  await waitUntil(() => matching().length >= count, `call #${count} to ${method}`);
  return matching()[count - 1];
}

/** A signed slash command with a response_url and trigger_id of the caller's choosing. */
export function commandBody(
  text: string,
  responseUrl: string,
  triggerId: string,
  actor: Actor = DEFAULT_ACTOR,
): string {
  const params = new URLSearchParams(slashCommandBody(text, actor, responseUrl));
  params.set('trigger_id', triggerId);
  return params.toString();
}

interface PushedView {
  response_action?: string;
  view?: { callback_id?: string; private_metadata?: string };
}

const CLEAR = JSON.stringify({ response_action: 'clear' });

export interface SetupInstructions {
  readonly sessionId: string;
  readonly challengeKey: string;
}

/**
 * Submits a valid setup modal (confirming, for a connected bucket, that it is set up again) and
 * reads the Check and Save session and challenge name back.
 */
export async function submitSetup(
  sender: SignedSender,
  slack: SlackStandIn,
  options: {
    responseUrl: string;
    actor?: Actor;
    privateMetadata?: string;
    settings?: DestinationSettings;
  },
): Promise<SetupInstructions> {
  const actor = options.actor ?? DEFAULT_ACTOR;
  const metadata =
    options.privateMetadata ??
    JSON.stringify({ channelId: actor.channelId, responseUrl: options.responseUrl });
  const values = setupStateValues(options.settings ?? VALID_SETTINGS);
  const payload = setupSubmissionPayload(actor, values, metadata);
  let response = await sender.post(interactionBody(payload));
  let answer = response.status === 200 ? await response.text() : '?';
  const pushed = answer === '' ? undefined : (JSON.parse(answer) as PushedView);
  if (pushed?.response_action === 'push' && pushed.view?.callback_id === RESETUP_CALLBACK_ID) {
    // The bucket is connected already: confirm setting it up again, as the user would.
    const confirm = resetupConfirmationPayload(actor, pushed.view.private_metadata ?? '');
    response = await sender.post(interactionBody(confirm));
    answer = response.status === 200 && (await response.text()) === CLEAR ? '' : '?';
  }
  if (answer !== '') {
    throw new Error(`the setup submission was not accepted (HTTP ${response.status})`);
  }
  const ephemeral = await waitForPostTo(slack, options.responseUrl);
  return readInstructions(ephemeral);
}

/** The session id (the Check and Save button's value) and challenge name of the instructions. */
export function readInstructions(ephemeral: RecordedCall): SetupInstructions {
  const blocks = ephemeral.body.blocks as { elements?: { action_id: string; value: string }[] }[];
  const button = blocks
    .flatMap((block) => block.elements ?? [])
    .find((element) => element.action_id === ACTION.checkAndSave);
  const challengeKey = JSON.stringify(ephemeral.body).match(CHALLENGE)?.[0];
  if (!button || !challengeKey)
    throw new Error('the setup instructions lack a button or challenge');
  return { sessionId: button.value, challengeKey };
}

/** Clicks Check and Save on the one-time instructions whose response_url is `responseUrl`. */
export function clickCheckAndSave(
  sender: SignedSender,
  sessionId: string,
  responseUrl: string,
  actor: Actor = DEFAULT_ACTOR,
): Promise<Response> {
  const payload = blockActionPayload(actor, buttonAction(ACTION.checkAndSave, sessionId), {
    responseUrl,
  });
  return sender.post(interactionBody(payload));
}

/**
 * Records unhandled rejections and uncaught exceptions. Jest gives each test file its own copy of
 * `process`; these events are emitted on Node's own, which only code run in the main context sees.
 */
export function watchProcessFailures(): { failures: unknown[]; stop(): void } {
  const nodeProcess = runInThisContext('process') as NodeJS.Process;
  const failures: unknown[] = [];
  const record = (reason: unknown) => failures.push(reason);
  nodeProcess.on('unhandledRejection', record);
  nodeProcess.on('uncaughtException', record);
  return {
    failures,
    stop() {
      nodeProcess.off('unhandledRejection', record);
      nodeProcess.off('uncaughtException', record);
    },
  };
}

/** The app on real Redis, verifying against the fault server with `timeoutMs` per S3 call. */
export interface AppOverFaultyS3 {
  readonly redis: TestRedis;
  readonly s3: FaultServer;
  readonly t: TestApp;
  stop(): Promise<void>;
}

export async function startAppOverFaultyS3(timeoutMs: number): Promise<AppOverFaultyS3> {
  const redis = await testRedis();
  const s3 = await startFaultServer();
  const { verifier, clients } = localVerifier(s3.endpoint, timeoutMs);
  const t = await startTestApp({ stores: createRedisStores(redis.client, 3600), verifier });
  return {
    redis,
    s3,
    t,
    async stop() {
      await t.stop();
      clients.destroy();
      await s3.stop();
      await redis.cleanup();
    },
  };
}
