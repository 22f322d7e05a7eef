import { Worker, type Job } from 'bullmq';
import { AppError } from '../errors';
import {
  checkBatch,
  confirm,
  InconclusiveCheckError,
  jobGaveUp,
  recheck,
} from './check-processors';
import type { JobConnection } from './connection';
import type { MonitorContext } from './context';
import { JOB_NAMES } from './jobs';
import { MONITOR_QUEUE_NAME } from './queue';
import { openRound } from './round-job';

/** A job in the monitor's queue that no code of this replica runs (one left by a newer version). */
export class UnknownJobError extends AppError {
  constructor(readonly jobName: string) {
    super('unknown_job', `unknown monitor job ${jobName}`);
  }
}

export interface WorkerSettings {
  /** Jobs this replica runs at once; a check job checks its destinations one after the other. */
  readonly concurrency: number;
  /**
   * How long a replica's hold on a running job lasts without renewal: a killed replica's jobs
   * are taken over by another once it has run out.
   */
  readonly lockDurationMs: number;
}

/** Runs the monitor's jobs on this replica, `concurrency` at a time, until closed. */
export function startMonitorWorker(
  context: MonitorContext,
  connection: JobConnection,
  prefix: string,
  settings: WorkerSettings,
): Worker {
  const { logger } = context.deps;
  const worker = new Worker(
    MONITOR_QUEUE_NAME,
    (job: Job, token?: string) => runJob(context, job, token),
    {
      connection,
      prefix,
      concurrency: settings.concurrency,
      lockDuration: settings.lockDurationMs,
      // Checked as often as a hold can run out, so a killed replica's jobs wait at most twice it.
      stalledInterval: settings.lockDurationMs,
      // A job whose replicas keep dying is not retried for ever.
      maxStalledCount: 3,
    },
  );
  worker.on('failed', (job, error) => {
    if (!job) return;
    if (error instanceof InconclusiveCheckError && job.attemptsMade < (job.opts.attempts ?? 1)) {
      return;
    }
    const spent =
      job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError';
    logger[spent ? 'error' : 'warn'](
      { err: error, job: job.name, attempts: job.attemptsMade },
      spent ? 'monitor: a job failed for good' : 'monitor: a job failed; it will be tried again',
    );
    if (spent) {
      jobGaveUp(context, job).catch((cause: unknown) =>
        logger.error({ err: cause }, 'monitor: could not close a failed job’s part of the round'),
      );
    }
  });
  worker.on('error', (error) =>
    logger.warn({ err: error }, 'monitor: the job worker had a problem'),
  );
  return worker;
}

function runJob(context: MonitorContext, job: Job, token?: string): Promise<void> {
  switch (job.name) {
    case JOB_NAMES.round:
      return openRound(context, job);
    case JOB_NAMES.check:
      return checkBatch(context, job, token);
    case JOB_NAMES.recheck:
      return recheck(context, job);
    case JOB_NAMES.confirm:
      return confirm(context, job);
    default:
      return Promise.reject(new UnknownJobError(job.name));
  }
}
