import { StoreUnavailableError } from '../../../../src/errors';
import { stepEnding } from '../../../../src/slack/listeners/functions/check-s3-destination';
import { checkSummaryLine } from '../../../../src/slack/views/check-result';
import { assembleReport, checkResult } from '../../../../src/verify/report';

const BUCKET = 'acme-data-lake';
const AT = new Date('2026-12-07T10:00:00.500Z');

const passing = assembleReport(
  [
    checkResult('challenge', 'ok', 'Found.'),
    checkResult('list', 'ok', 'Listed.'),
    checkResult('ownership', 'owner_differs', 'Warning: objects the bot writes belong to…'),
  ],
  { regionChecked: true },
);
const failing = assembleReport(
  [
    checkResult('challenge', 'ok', 'Found.'),
    checkResult('list', 'access_denied', 'S3 refused to list `acme-data-lake`.\nAdd the policy.'),
    checkResult('write', 'access_denied', 'S3 refused the write.\nAdd the policy.'),
  ],
  { regionChecked: false },
);
const transient = assembleReport([checkResult('challenge', 'transient', 'S3 did not answer.')], {
  regionChecked: false,
});
const operatorFault = assembleReport(
  [checkResult('challenge', 'no_credentials', 'The bot has no AWS credentials.')],
  { regionChecked: false },
);

describe('the step’s summary line', () => {
  it('says all checks passed, with the warnings, when the report passed', () => {
    expect(checkSummaryLine(passing)).toBe('All checks passed (warning: Object ownership)');
  });

  it('gives the first failing check with its fix on one line, and names the others', () => {
    expect(checkSummaryLine(failing)).toBe(
      'List the bucket: S3 refused to list `acme-data-lake`. Add the policy. Also failing: Write an object.',
    );
  });
});

describe('how a check ends the step', () => {
  it('completes with the outputs of a check that ran, passed or failed', () => {
    expect(stepEnding(BUCKET, { outcome: 'recorded', report: passing, checkedAt: AT })).toEqual({
      outputs: {
        ok: true,
        summary: 'All checks passed (warning: Object ownership)',
        checked_at: 1796637600,
        bucket: BUCKET,
      },
    });
    // A later check told the channel first: this result still answers the workflow.
    expect(stepEnding(BUCKET, { outcome: 'stale', report: failing, checkedAt: AT })).toMatchObject({
      outputs: { ok: false, summary: expect.stringMatching(/^List the bucket: /) },
    });
  });

  it('says in the summary why the channel did not get the result', () => {
    const ending = stepEnding(BUCKET, {
      outcome: 'recorded',
      report: passing,
      checkedAt: AT,
      post: { posted: false, slackError: 'is_archived' },
    });
    expect(ending).toMatchObject({
      outputs: {
        summary: expect.stringMatching(/Not posted in the channel: that channel is archived\.\)$/),
      },
    });
    const unreachable = stepEnding(BUCKET, {
      outcome: 'recorded',
      report: passing,
      checkedAt: AT,
      post: { posted: false },
    });
    expect(unreachable).toMatchObject({
      outputs: { summary: expect.stringMatching(/Slack could not be reached\.\)$/) },
    });
  });

  it('fails when it could not check, each time in words that say what to do', () => {
    const error = (result: Parameters<typeof stepEnding>[1]) => {
      const ending = stepEnding(BUCKET, result);
      return 'error' in ending ? ending.error : undefined;
    };
    expect(error({ outcome: 'busy' })).toBe(
      'Another check of `acme-data-lake` was still running: run the step again in a minute.',
    );
    expect(error({ outcome: 'removed', report: passing, checkedAt: AT })).toBe(
      '`acme-data-lake` was removed while the step checked it, so nothing was recorded.',
    );
    expect(error({ outcome: 'changed', report: passing, checkedAt: AT })).toMatch(
      /was set up again while the step checked it: run the step again/,
    );
    expect(error({ outcome: 'failed', error: new StoreUnavailableError(new Error('down')) })).toBe(
      "Could not check `acme-data-lake`: the bot's storage is not answering. Run the step again in a minute.",
    );
    expect(error({ outcome: 'failed', error: new Error('boom') })).toMatch(
      /something went wrong on the bot's side/,
    );
    expect(error({ outcome: 'recorded', report: transient, checkedAt: AT })).toMatch(
      /^S3 did not answer properly while checking `acme-data-lake`: nothing to fix/,
    );
    expect(error({ outcome: 'recorded', report: operatorFault, checkedAt: AT })).toMatch(
      /the problem is on the bot's side, not the bucket's/,
    );
  });
});
