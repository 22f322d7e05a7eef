import { describeFormat, type DestinationSettings } from '../../../src/domain/destination';
import { destinationSettings } from '../../support/fixtures';

const base: DestinationSettings = destinationSettings({ bucket: 'acme-data-lake', format: 'csv' });

describe('describeFormat', () => {
  it.each([
    ['JSON Lines', { format: 'jsonl' as const }, 'JSON Lines'],
    [
      'JSON Lines, ignoring CSV options',
      { format: 'jsonl' as const, csvForceQuote: true },
      'JSON Lines',
    ],
    ['comma-delimited CSV', {}, 'CSV, comma-delimited'],
    ['tab-delimited CSV', { csvDelimiter: 'tab' as const }, 'CSV, tab-delimited'],
    [
      'pipe-delimited CSV, all quoted',
      { csvDelimiter: 'pipe' as const, csvForceQuote: true },
      'CSV, pipe-delimited, all elements quoted',
    ],
  ])('describes %s', (_case, change, expected) => {
    const description = describeFormat({ ...base, ...change });

    expect(description).toBe(expected);
  });
});
