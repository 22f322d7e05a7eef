import { buildMonitorAlert, buildRecoveryNotice } from '../../../src/slack/views/monitor-alert';
import { CHALLENGE_NOT_FOUND_TEXT } from '../../../src/verify/explain';
import { blockKitViolations } from '../../support/block-kit-limits';
import { CHALLENGE_KEY, passingDestination, reportWith } from './fixtures';

describe('buildMonitorAlert', () => {
  it('gives the missing-challenge text and its fix, without the challenge name', () => {
    const alert = buildMonitorAlert(
      passingDestination(),
      reportWith({ challenge: 'not_found' }),
      true,
    );

    const json = JSON.stringify(alert);
    expect(json).toContain(CHALLENGE_NOT_FOUND_TEXT);
    expect(json).toContain('Create a blank file with no extension');
    expect(json).toContain('acme-data-lake');
    expect(json).not.toContain(CHALLENGE_KEY);
    expect(json).not.toContain('s3-destination-challenge-file-');
    expect(alert.text).toContain('acme-data-lake');
    expect(alert.text).toContain('Challenge file');
  });

  it('lists only the failed checks, each with its fix', () => {
    const report = reportWith({ challenge: 'not_found', write: 'access_denied' });

    const json = JSON.stringify(buildMonitorAlert(passingDestination(), report, true));

    expect(json).toContain(CHALLENGE_NOT_FOUND_TEXT);
    expect(json).toContain('s3:PutObject');
    expect(json).not.toContain('The bot can list the bucket');
  });

  it('holds no bucket policy', () => {
    const json = JSON.stringify(
      buildMonitorAlert(passingDestination(), reportWith({ challenge: 'not_found' }), true),
    );

    expect(json).not.toContain('"Statement"');
    expect(json).not.toContain('arn:aws:iam');
  });

  it('stays within Slack message limits, even for every check failing with long texts', () => {
    const report = reportWith({
      challenge: 'not_found',
      list: 'access_denied',
      write: 'access_denied',
      region: 'wrong_region',
    });
    const longReport = {
      ...report,
      checks: report.checks.map((check) => ({ ...check, text: 'x'.repeat(5000) })),
    };

    const alert = buildMonitorAlert(passingDestination(), longReport, true);

    expect(blockKitViolations(alert, 'message')).toEqual([]);
    expect(alert.blocks.length).toBeLessThan(50);
  });
});

describe('buildRecoveryNotice', () => {
  it('names the destination as passing again, without the challenge name', () => {
    const notice = buildRecoveryNotice(passingDestination());

    const json = JSON.stringify(notice);
    expect(notice.text).toContain('acme-data-lake');
    expect(json).toContain('passes all its checks again');
    expect(json).not.toContain(CHALLENGE_KEY);
    expect(blockKitViolations(notice, 'message')).toEqual([]);
  });
});
