import { randomUUID } from 'node:crypto';
import { webApi } from '@slack/bolt';
import fc from 'fast-check';
import { startTestMonitor } from '../support/monitor';
import { createMemoryStores, type SavedDestination } from '../../src/store';
import { explainCheck } from '../../src/verify/explain';
import {
  assembleReport,
  checkResult,
  CHECK_NAMES,
  type VerificationReport,
} from '../../src/verify/report';
import type { Verifier, VerifyTarget } from '../../src/verify/verifier-port';
import { visibleText } from '../support/message-text';
import {
  blockActionPayload,
  buttonAction,
  DEFAULT_ACTOR,
  slashCommandBody,
} from '../support/slack-payloads';
import { startSlackStandIn, type SlackStandIn } from '../support/slack-stand-in';
import { startTestApp, type TestApp } from '../support/test-app';
import { destinationSettings } from '../support/fixtures';

// Random interleavings of Check and Save, verify, remove and monitor sweeps on one bucket, while
// the bucket breaks and gets fixed: whatever the order, what is saved in the end is what the team
// was told last.

const TEAM = DEFAULT_ACTOR.teamId;
const BUCKET = 'acme-property';

/** Answers every check from the bucket's health at the moment it answers, after a set delay. */
class ScriptedBucket implements Verifier {
  healthy = true;

  constructor(private readonly delays: () => number) {}

  verify(target: VerifyTarget): Promise<VerificationReport> {
    return this.answer(target);
  }

  watch(target: VerifyTarget): Promise<VerificationReport> {
    return this.answer(target);
  }

  private async answer(target: VerifyTarget): Promise<VerificationReport> {
    await new Promise((resolve) => setTimeout(resolve, this.delays()));
    const context = { bucket: target.bucket, region: target.region };
    return assembleReport(
      CHECK_NAMES.map((check) => {
        const outcome = check === 'challenge' && !this.healthy ? 'not_found' : 'ok';
        return checkResult(check, outcome, explainCheck(check, outcome, context));
      }),
      { regionChecked: true },
    );
  }
}

type Operation = {
  kind: 'checkAndSave' | 'verify' | 'remove' | 'sweep' | 'break' | 'fix';
  at: number;
};

const operation: fc.Arbitrary<Operation> = fc.record({
  kind: fc.constantFrom('checkAndSave', 'verify', 'remove', 'sweep', 'break', 'fix'),
  at: fc.integer({ min: 0, max: 40 }),
});

/** What a team-visible message says about the saved destination, if anything. */
function claimOf(text: string): 'passing' | 'failing' | 'removed' | undefined {
  if (/connected `|set up `.*` again|verified `|passes all its checks again/.test(text)) {
    return 'passing';
  }
  if (/stopped passing its checks/.test(text)) return 'failing';
  // A failing verify (a failing Check and Save saves nothing and says so).
  if (/ran the checks on/.test(text) && /then run `\/s3-destination verify/.test(text)) {
    return 'failing';
  }
  if (/removed the S3 destination|Removed the S3 destination|was removed/.test(text)) {
    return 'removed';
  }
  return undefined;
}

function stateOf(destination: SavedDestination | undefined): 'passing' | 'failing' | 'removed' {
  if (!destination) return 'removed';
  return destination.lastCheck.ok ? 'passing' : 'failing';
}

let slack: SlackStandIn;
beforeAll(async () => {
  slack = await startSlackStandIn();
});
afterAll(async () => {
  await slack.close();
});

async function settle(t: TestApp, extra: Promise<unknown>[]): Promise<void> {
  await Promise.all(extra);
  let calls = -1;
  // Until nothing more reaches Slack and no check is running.
  while (calls !== slack.calls.length || t.deps.tasks.size > 0) {
    calls = slack.calls.length;
    await t.deps.tasks.drain(5000);
    await new Promise((resolve) => setTimeout(resolve, 60));
  }
}

test('what is saved is always what the team was told last', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(operation, { minLength: 1, maxLength: 8 }),
      fc.infiniteStream(fc.integer({ min: 0, max: 25 })),
      async (operations, delays) => {
        slack.reset();
        const bucket = new ScriptedBucket(() => delays.next().value as number);
        const stores = createMemoryStores(3600);
        const t = await startTestApp({ stores, verifier: bucket, slack });
        const client = new webApi.WebClient('xoxb-test', {
          slackApiUrl: slack.apiUrl,
          retryConfig: { retries: 0 },
        });
        const monitor = startTestMonitor(t.deps, client);
        const sweeps: Promise<unknown>[] = [];
        try {
          const run = async (op: Operation) => {
            await new Promise((resolve) => setTimeout(resolve, op.at));
            const responseUrl = slack.responseUrl(randomUUID());
            switch (op.kind) {
              case 'break':
                bucket.healthy = false;
                return;
              case 'fix':
                bucket.healthy = true;
                return;
              case 'sweep':
                sweeps.push(monitor.runRound());
                return;
              case 'verify':
                await t.post(slashCommandBody(`verify ${BUCKET}`, DEFAULT_ACTOR, responseUrl));
                return;
              case 'remove':
                await t.interact(
                  blockActionPayload(
                    DEFAULT_ACTOR,
                    buttonAction('confirm_remove', JSON.stringify({ bucket: BUCKET })),
                    { responseUrl },
                  ),
                );
                return;
              case 'checkAndSave': {
                const id = randomUUID();
                await stores.sessions.put({
                  id,
                  teamId: TEAM,
                  userId: DEFAULT_ACTOR.userId,
                  channelId: DEFAULT_ACTOR.channelId,
                  settings: destinationSettings({ bucket: BUCKET }),
                  challengeKey: `s3-destination-challenge-file-${id}`,
                  createdAt: new Date().toISOString(),
                });
                await t.interact(
                  blockActionPayload(DEFAULT_ACTOR, buttonAction('check_and_save', id), {
                    responseUrl,
                  }),
                );
                return;
              }
            }
          };
          // Connected first, so that most operations meet a saved destination.
          await Promise.all([{ kind: 'checkAndSave', at: 0 } as const, ...operations].map(run));
          await settle(t, sweeps);

          const claims = slack
            .callsTo('chat.postMessage')
            .map((call) => claimOf(visibleText(call.body)))
            .filter((claim) => claim !== undefined);
          const saved = stateOf(await stores.destinations.get(TEAM, BUCKET));
          if (claims.length === 0) expect(saved).toBe('removed');
          else expect(saved).toBe(claims.at(-1));
        } finally {
          await monitor.stop();
          await t.stop();
        }
      },
    ),
    { numRuns: 60 },
  );
}, 120_000);
