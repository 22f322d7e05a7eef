import type { DestinationSettings } from '../../src/domain/destination';
import { DEFAULT_KEY_TEMPLATE } from '../../src/domain/key-template';
import type { SavedDestination, SetupSession } from '../../src/store/types';

/**
 * A valid destination's settings: JSON Lines in us-east-1 under the default key template; override
 * what the test is about.
 */
export function destinationSettings(
  overrides: Partial<DestinationSettings> = {},
): DestinationSettings {
  return {
    bucket: 'acme-data-lake',
    region: 'us-east-1',
    format: 'jsonl',
    csvDelimiter: 'comma',
    csvForceQuote: false,
    keyTemplate: DEFAULT_KEY_TEMPLATE,
    ...overrides,
  };
}

/** A valid setup session; override what the test is about. */
export function setupSession(overrides: Partial<SetupSession> = {}): SetupSession {
  return {
    id: 'S1',
    teamId: 'T1',
    userId: 'U1',
    channelId: 'C1',
    responseUrl: 'https://hooks.slack.com/actions/T1/1/abc',
    settings: destinationSettings({
      bucket: 'acme-data-lake',
      region: 'eu-west-1',
      format: 'csv',
      csvDelimiter: 'pipe',
      csvForceQuote: true,
    }),
    challengeKey: 's3-destination-challenge-file-0b7c7d3e-8a7e-4f6e-9d55-1f0c2b1e9a11',
    createdAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** A valid saved destination for `teamId` and `bucket`. */
export function savedDestination(teamId = 'T1', bucket = 'acme-data-lake'): SavedDestination {
  return {
    teamId,
    version: 0,
    settings: destinationSettings({ bucket }),
    challengeKey: 's3-destination-challenge-file-6f1d0c59-3f0e-4a55-8b9e-7c1b2d3e4f50',
    channelId: 'C1',
    connectedBy: 'U1',
    verifiedAt: '2025-01-01T00:00:00.000Z',
    lastCheck: { at: '2025-01-01T00:00:00.000Z', ok: true, summary: 'All checks passed' },
  };
}

/** The i-th of many destinations' challenge names: distinct, valid, and readable in a failure. */
export function numberedChallengeKey(i: number): string {
  return `s3-destination-challenge-file-00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
}

/** Keys whose listing needs escaping in the query and decoding in the XML answer. */
export const AWKWARD_KEYS = [
  'plain.txt',
  'with space & <angle> "quotes".txt',
  'a+b=c/d%20e?f#g.txt',
  'ünïcødé/文件.txt',
];

/**
 * An answer a hostile or intercepted S3 endpoint could send for a one-key listing: a listing's
 * opening tag, then `<Contents ` over and over, never finished, to `kilobytes` in all, and then
 * `tail` (which counts towards the size).
 */
export function hostileListing(kilobytes: number, tail = ''): string {
  const opening = '<ListBucketResult>';
  const unit = '<Contents ';
  const repeats = Math.floor((kilobytes * 1024 - opening.length - tail.length) / unit.length);
  return opening + unit.repeat(repeats) + tail;
}
