import { bucketRegionToUse, isServedRegion, parseRegionFix } from '../../../src/slack/region-fix';
import {
  assembleReport,
  checkResult,
  type CheckName,
  type CheckOutcome,
  type CheckResult,
} from '../../../src/verify/report';

const AWS_ONLY = { aws: 'arn:aws:iam::123456789012:role/loader' };
const SESSION_ID = '7d444840-9dc0-11d1-b245-5ffdce74fad2';

/** A check's result as the verifier reports it, with the region S3 named when it did. */
function result(check: CheckName, outcome: CheckOutcome, actualRegion?: string): CheckResult {
  const shown: CheckResult & { actualRegion?: string } = checkResult(
    check,
    outcome,
    `${check}: ${outcome}`,
  );
  if (actualRegion !== undefined) shown.actualRegion = actualRegion;
  return shown;
}

function report(...checks: CheckResult[]) {
  return assembleReport(checks, { regionChecked: true });
}

describe('bucketRegionToUse', () => {
  it('answers the bucket’s region when the region is all that failed, with S3’s redirect', () => {
    const redirected = report(
      result('challenge', 'wrong_region', 'eu-west-1'),
      result('list', 'not_run'),
      result('write', 'not_run'),
      result('ownership', 'not_run'),
      result('region', 'wrong_region', 'eu-west-1'),
    );

    expect(bucketRegionToUse(redirected, 'us-east-1', AWS_ONLY)).toBe('eu-west-1');
  });

  it('answers it when every other check passed', () => {
    const onlyRegion = report(
      result('challenge', 'ok'),
      result('list', 'ok'),
      result('region', 'wrong_region', 'ap-southeast-2'),
    );

    expect(bucketRegionToUse(onlyRegion, 'us-east-1', AWS_ONLY)).toBe('ap-southeast-2');
  });

  it.each([
    [
      'another check failed too',
      report(result('challenge', 'not_found'), result('region', 'wrong_region', 'eu-west-1')),
    ],
    [
      'a redirect named another region',
      report(
        result('challenge', 'wrong_region', 'eu-west-2'),
        result('region', 'wrong_region', 'eu-west-1'),
      ),
    ],
    ['S3 did not say the region', report(result('region', 'wrong_region'))],
    ['the region passed', report(result('challenge', 'not_found'), result('region', 'ok'))],
    ['everything passed', report(result('challenge', 'ok'), result('region', 'ok'))],
    [
      'the bot does not serve that partition',
      report(result('region', 'wrong_region', 'cn-north-1')),
    ],
    ['the region is unknown', report(result('region', 'wrong_region', 'mars-central-1'))],
  ])('answers nothing when %s', (_why, checked) => {
    expect(bucketRegionToUse(checked, 'us-east-1', AWS_ONLY)).toBeUndefined();
  });
});

describe('the use_bucket_region button value', () => {
  it('reads back only a session id and a region', () => {
    expect(parseRegionFix(JSON.stringify({ sessionId: SESSION_ID, region: 'eu-west-1' }))).toEqual({
      sessionId: SESSION_ID,
      region: 'eu-west-1',
    });
    expect(parseRegionFix(JSON.stringify({ sessionId: 'x', region: 'eu-west-1' }))).toBeUndefined();
    expect(parseRegionFix(SESSION_ID)).toBeUndefined();
    expect(parseRegionFix(undefined)).toBeUndefined();
  });

  it('is served only for a known region of a partition with a principal', () => {
    expect(isServedRegion('eu-west-1', AWS_ONLY)).toBe(true);
    expect(isServedRegion('cn-north-1', AWS_ONLY)).toBe(false);
    expect(
      isServedRegion('cn-north-1', { ...AWS_ONLY, 'aws-cn': 'arn:aws-cn:iam::1:role/l' }),
    ).toBe(true);
    expect(isServedRegion('us-east-1; rm -rf', AWS_ONLY)).toBe(false);
  });
});
