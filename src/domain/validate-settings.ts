import { bucketNameProblems } from './bucket-name';
import {
  CSV_DELIMITERS,
  OUTPUT_FORMATS,
  type CsvDelimiter,
  type DestinationSettings,
  type OutputFormat,
} from './destination';
import { keyTemplateProblems } from './key-template';
import { isKnownRegion } from './regions';

/** The setup modal's block_ids, which are also the reference product's property names. */
export type SettingsField =
  's3_bucket' | 'region' | 'output_file_format' | 'csv_delimiter' | 's3_key_format_string';

export type SettingsProblems = Partial<Record<SettingsField, string[]>>;

export type SettingsValidation =
  { ok: true; settings: DestinationSettings } | { ok: false; problems: SettingsProblems };

/** Applies every rule of domain/ to the settings; all problems at once, keyed by block_id. */
export function validateSettings(settings: DestinationSettings): SettingsValidation {
  const normalized: DestinationSettings = { ...settings, bucket: settings.bucket.trim() };
  const problems: SettingsProblems = {};

  const bucket = bucketNameProblems(normalized.bucket);
  if (bucket.length > 0) problems.s3_bucket = bucket;
  if (!isKnownRegion(normalized.region)) {
    problems.region = [
      normalized.region === ''
        ? 'Choose the region the bucket is in.'
        : `Choose a region from the list: "${normalized.region}" is not an AWS region.`,
    ];
  }
  // The types already say this, but settings can arrive from stored or hand-built data.
  if (!(OUTPUT_FORMATS as readonly OutputFormat[]).includes(normalized.format)) {
    problems.output_file_format = ['Choose JSON Lines or CSV.'];
  }
  if (!(CSV_DELIMITERS as readonly CsvDelimiter[]).includes(normalized.csvDelimiter)) {
    problems.csv_delimiter = ['Choose comma, pipe or tab.'];
  }
  const keyTemplate = keyTemplateProblems(normalized.keyTemplate);
  if (keyTemplate.length > 0) problems.s3_key_format_string = keyTemplate;

  return Object.keys(problems).length > 0
    ? { ok: false, problems }
    : { ok: true, settings: normalized };
}
