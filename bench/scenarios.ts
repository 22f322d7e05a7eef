import { randomUUID } from 'node:crypto';
import { DEFAULT_KEY_TEMPLATE } from '../src/domain/key-template';
import { ACTION } from '../src/slack/ids';
import type { SetupSession } from '../src/store';
import {
  DEFAULT_ACTOR,
  blockActionPayload,
  buttonAction,
  interactionBody,
  setupStateValues,
  setupSubmissionPayload,
  slashCommandBody,
} from '../test/support/slack-payloads';
import type { SlackStandIn } from '../test/support/slack-stand-in';

export type ScenarioId = 'a' | 'b' | 'c';

/** One kind of Slack request, and the bodies the load sends for it. */
export interface Scenario {
  readonly id: ScenarioId;
  readonly title: string;
  /** What reaches the stand-in after each ack: counted to show the work really happened. */
  readonly followUps: readonly string[];
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'a',
    title: '/s3-destination setup: ack, then views.open',
    followUps: ['views.open'],
  },
  {
    id: 'b',
    title: 'setup modal submit: session written, then the ephemeral over response_url',
    followUps: ['response_url'],
  },
  {
    id: 'c',
    title: 'Check and Save click: ack, then four checks against local S3, channel post, save',
    followUps: ['chat.postMessage', 'response_url'],
  },
];

/** A fresh slash command per request: its own trigger_id, as Slack sends it. */
export function setupCommandBodies(slack: SlackStandIn): () => string {
  const responseUrl = slack.responseUrl('setup');
  return () => slashCommandBody('setup', DEFAULT_ACTOR, responseUrl);
}

/** The bucket of every submit the load sends. */
export const SUBMITTED_BUCKET = 'acme-data-lake';

/** The same valid submit each time: every one makes its own session. */
export function setupSubmissionBodies(slack: SlackStandIn): () => string {
  const body = interactionBody(
    setupSubmissionPayload(
      DEFAULT_ACTOR,
      setupStateValues({
        bucket: SUBMITTED_BUCKET,
        region: 'us-east-1',
        format: 'csv',
        csvDelimiter: 'pipe',
        csvForceQuote: true,
        keyTemplate: DEFAULT_KEY_TEMPLATE,
      }),
      JSON.stringify({ channelId: DEFAULT_ACTOR.channelId, responseUrl: slack.responseUrl('cmd') }),
    ),
  );
  return () => body;
}

function checkAndSaveBody(sessionId: string, responseUrl: string): string {
  return interactionBody(
    blockActionPayload(DEFAULT_ACTOR, buttonAction(ACTION.checkAndSave, sessionId), {
      responseUrl,
    }),
  );
}

/** One click per session, each on its own session; undefined once every session has been used. */
export function checkAndSaveBodies(
  slack: SlackStandIn,
  sessions: readonly SetupSession[],
): () => string | undefined {
  let next = 0;
  return () => {
    const session = sessions[next];
    if (!session) return undefined;
    next += 1;
    return checkAndSaveBody(session.id, slack.responseUrl(`check-${next}`));
  };
}

/** Clicks shaped like the real ones, for the baseline, which has no sessions to look up. */
export function unseededCheckAndSaveBodies(slack: SlackStandIn): () => string {
  let next = 0;
  return () => checkAndSaveBody(randomUUID(), slack.responseUrl(`check-${++next}`));
}
