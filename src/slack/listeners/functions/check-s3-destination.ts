import type { AllMiddlewareArgs, App, SlackEventMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import type { Deps } from '../../../deps-types';
import { bucketNameProblems } from '../../../domain/bucket-name';
import { requestLogger } from '../../context';
import { CHECK_STEP_CALLBACK_ID } from '../../ids';
import { checkSummaryLine } from '../../views/check-result';
import {
  STEP_NO_WORKSPACE,
  stepBusy,
  stepFailed,
  stepInconclusive,
  stepNotABucketName,
  stepNotConnected,
  stepOvertaken,
  withUnpostedNote,
} from '../../views/workflow-step';
import { verifyDestination, type VerifyResult } from '../../workflows/verify-destination';

type StepArgs = SlackEventMiddlewareArgs<'function_executed'> & AllMiddlewareArgs;

/** The step's inputs as the manifest declares them; Workflow Builder may leave out the optional one. */
const inputsSchema = z.object({
  bucket: z.string().optional(),
  channel_id: z.string().min(1).optional(),
});

/** The step's outputs as the manifest declares them. */
export interface CheckStepOutputs {
  readonly ok: boolean;
  readonly summary: string;
  /** When the checks started, in Unix seconds (`slack#/types/timestamp`). */
  readonly checked_at: number;
  readonly bucket: string;
}

/** How the step ends: completed with outputs, or failed with words for the workflow's author. */
export type StepEnding = { readonly outputs: CheckStepOutputs } | { readonly error: string };

/**
 * The Workflow Builder step "Check an S3 destination": the read-only check of `verify <bucket>`,
 * recorded as `verify` records it, completed with its outcome so a workflow can branch on `ok`,
 * and failed only when it could not check. Bolt acknowledges the event before this runs, and
 * hands a client holding the step's own token, which every call of the step is made with.
 */
export function register(app: App, deps: Deps): void {
  app.function(CHECK_STEP_CALLBACK_ID, async (args: StepArgs) => {
    const log = requestLogger(deps, args.context);
    await deps.tasks.run(
      async () => {
        const ending = await checkStep(deps, args);
        if ('error' in ending) await args.fail({ error: ending.error });
        else await args.complete({ outputs: { ...ending.outputs } });
      },
      (error) => log.error({ err: error }, 'the Workflow Builder step could not report its result'),
    );
  });
}

/** Runs the step's check and decides how it ends. */
async function checkStep(deps: Deps, args: StepArgs): Promise<StepEnding> {
  const { client, context } = args;
  const log = requestLogger(deps, context);
  const parsed = inputsSchema.safeParse(args.inputs ?? {});
  const inputs = parsed.success ? parsed.data : {};
  const bucket = (inputs.bucket ?? '').trim();
  const [problem] = bucketNameProblems(bucket);
  if (problem !== undefined) return { error: stepNotABucketName(bucket, problem) };
  const teamId = (args.body as { team_id?: string }).team_id ?? context.teamId;
  if (!teamId) return { error: STEP_NO_WORKSPACE };
  const channelId = inputs.channel_id;
  const result = await verifyDestination(deps, {
    teamId,
    bucket,
    client,
    log,
    postResult: channelId !== undefined,
    ...(channelId === undefined ? {} : { channelId }),
    // A workflow has no one to tell along the way: only its outputs speak.
    say: async () => undefined,
    showResult: async () => undefined,
    ...(context.botToken ? { homeToken: context.botToken } : {}),
    // A check already running (someone's verify) is waited for, not a reason to fail the step.
    waitForTurnMs: deps.settings.verifyLockTtlMs,
  });
  return stepEnding(bucket, result);
}

/** How a check's result ends the step. */
export function stepEnding(bucket: string, result: VerifyResult): StepEnding {
  const { outcome, report, checkedAt } = result;
  switch (outcome) {
    case 'missing':
      return { error: stepNotConnected(bucket) };
    case 'busy':
      return { error: stepBusy(bucket) };
    case 'removed':
    case 'changed':
      return { error: stepOvertaken(bucket, outcome) };
    case 'failed':
      return { error: stepFailed(bucket, result.error) };
  }
  if (!report || !checkedAt) return { error: stepFailed(bucket, result.error) };
  if (report.inconclusive) return { error: stepInconclusive(bucket, report.operatorFault) };
  const summary = checkSummaryLine(report);
  return {
    outputs: {
      ok: report.ok,
      summary:
        result.post && !result.post.posted
          ? withUnpostedNote(summary, result.post.slackError)
          : summary,
      checked_at: Math.floor(checkedAt.getTime() / 1000),
      bucket,
    },
  };
}
