import type { DestinationSettings } from '../../../src/domain/destination';
import { DEFAULT_KEY_TEMPLATE } from '../../../src/domain/key-template';
import { validateSettings } from '../../../src/domain/validate-settings';

const valid: DestinationSettings = {
  bucket: 'acme-data-lake',
  region: 'us-west-2',
  format: 'csv',
  csvDelimiter: 'pipe',
  csvForceQuote: true,
  keyTemplate: DEFAULT_KEY_TEMPLATE,
};

describe('validateSettings', () => {
  it.each([
    ['the settings as given', valid],
    ['JSON Lines', { ...valid, format: 'jsonl' as const, csvDelimiter: 'comma' as const }],
    ['a China region', { ...valid, region: 'cn-northwest-1' }],
    ['a GovCloud region', { ...valid, region: 'us-gov-east-1' }],
  ])('accepts %s', (_case, settings) => {
    const result = validateSettings(settings);

    expect(result).toEqual({ ok: true, settings });
  });

  it('trims spaces around the bucket name in the settings it returns', () => {
    const result = validateSettings({ ...valid, bucket: '  acme-data-lake\t' });

    expect(result).toEqual({ ok: true, settings: valid });
  });

  it.each([
    ['a bucket URL', 's3_bucket', { bucket: 's3://acme-data-lake/exports' }],
    ['an empty bucket', 's3_bucket', { bucket: '   ' }],
    ['an unknown region', 'region', { region: 'mars-north-1' }],
    ['no region', 'region', { region: '' }],
    ['an unknown format', 'output_file_format', { format: 'parquet' }],
    ['an unknown delimiter', 'csv_delimiter', { csvDelimiter: 'semicolon' }],
    ['a bad key template', 's3_key_format_string', { keyTemplate: '[table_name]' }],
  ])('puts the problem with %s under %s', (_case, field, change) => {
    const settings = { ...valid, ...change } as DestinationSettings;

    const result = validateSettings(settings);

    expect(result.ok).toBe(false);
    expect(Object.keys(result.ok ? {} : result.problems)).toEqual([field]);
  });

  it.each([
    [
      'an unknown region',
      'mars-north-1',
      'Choose a region from the list: "mars-north-1" is not an AWS region.',
    ],
    ['no region', '', 'Choose the region the bucket is in.'],
  ])('explains %s', (_case, region, expected) => {
    const result = validateSettings({ ...valid, region });

    expect(result).toEqual({ ok: false, problems: { region: [expected] } });
  });

  it('returns every problem of every field at once', () => {
    const settings = {
      bucket: 's3://Acme_Data/exports',
      region: 'nowhere',
      format: 'xml',
      csvDelimiter: 'semicolon',
      csvForceQuote: false,
      keyTemplate: '[table_name] #x',
    } as unknown as DestinationSettings;

    const result = validateSettings(settings);

    expect(result).toEqual({
      ok: false,
      problems: {
        s3_bucket: [
          'Enter only the bucket name: did you mean `acme_data`?',
          'Bucket names can\'t contain "_".',
        ],
        region: ['Choose a region from the list: "nowhere" is not an AWS region.'],
        output_file_format: ['Choose JSON Lines or CSV.'],
        csv_delimiter: ['Choose comma, pipe or tab.'],
        s3_key_format_string: [
          'Add [integration_name]: every key needs it.',
          'Add [table_version]: every key needs it.',
          'Add [timestamp_loaded]: every key needs it.',
          'The space at position 13 is not allowed.',
          '"#" at position 14 is not allowed.',
        ],
      },
    });
  });
});
