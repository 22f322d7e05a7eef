import { z } from 'zod';
import { CSV_DELIMITERS, OUTPUT_FORMATS, type DestinationSettings } from '../domain/destination';
import { PARTITION_NAMES, partitionForRegion } from '../domain/partition';
import { principalForRegion, type Principals } from '../domain/principal';
import { validateSettings } from '../domain/validate-settings';
import { FIELD, FORCE_QUOTE_OPTION, type FieldId } from './ids';

// One schema per element shape Slack sends in view.state.values; anything else reads as "not set".
const plainText = z.object({ value: z.string().nullish() });
const selected = z.object({ selected_option: z.object({ value: z.string() }).nullish() });
const checked = z.object({
  selected_options: z.array(z.object({ value: z.string() })).nullish(),
});

function element<T extends z.ZodType>(
  values: unknown,
  field: FieldId,
  schema: T,
): z.infer<T> | undefined {
  if (typeof values !== 'object' || values === null) return undefined;
  const block = (values as Record<string, unknown>)[field];
  if (typeof block !== 'object' || block === null) return undefined;
  const parsed = schema.safeParse((block as Record<string, unknown>)[field]);
  return parsed.success ? parsed.data : undefined;
}

function oneOf<T extends string>(allowed: readonly T[], value: string | undefined): T | undefined {
  return allowed.find((candidate) => candidate === value);
}

/** Whatever the user has entered so far, field by field; unreadable fields are left out. */
export function readSetupDraft(values: unknown): Partial<DestinationSettings> {
  const draft: Partial<DestinationSettings> = {};
  const bucket = element(values, FIELD.bucket, plainText)?.value;
  if (typeof bucket === 'string') draft.bucket = bucket;
  const region = element(values, FIELD.region, selected)?.selected_option?.value;
  if (region) draft.region = region;
  const format = oneOf(
    OUTPUT_FORMATS,
    element(values, FIELD.format, selected)?.selected_option?.value,
  );
  if (format) draft.format = format;
  const delimiter = oneOf(
    CSV_DELIMITERS,
    element(values, FIELD.csvDelimiter, selected)?.selected_option?.value,
  );
  if (delimiter) draft.csvDelimiter = delimiter;
  const quoting = element(values, FIELD.csvForceQuote, checked);
  if (quoting) {
    draft.csvForceQuote = (quoting.selected_options ?? []).some(
      (o) => o.value === FORCE_QUOTE_OPTION,
    );
  }
  const keyTemplate = element(values, FIELD.keyTemplate, plainText)?.value;
  if (typeof keyTemplate === 'string') draft.keyTemplate = keyTemplate;
  return draft;
}

export type SetupProblems = Partial<Record<FieldId, string[]>>;

export type SetupSubmission =
  | { ok: true; settings: DestinationSettings; principalArn: string }
  | { ok: false; problems: SetupProblems };

/**
 * Parses a submitted setup modal and applies every domain rule, including that the bot has a
 * principal in the region's partition (which it names); all problems at once.
 */
export function parseSetupSubmission(values: unknown, principals: Principals): SetupSubmission {
  const draft = readSetupDraft(values);
  const problems: SetupProblems = {};
  if (!draft.bucket?.trim()) problems[FIELD.bucket] = ['Enter the name of your S3 bucket.'];
  if (!draft.region) problems[FIELD.region] = ['Choose the region the bucket is in.'];
  if (!draft.format) problems[FIELD.format] = ['Choose JSON Lines or CSV.'];
  if (draft.keyTemplate === undefined || draft.keyTemplate === '') {
    problems[FIELD.keyTemplate] = ['Enter an object key template.'];
  }

  const settings: DestinationSettings = {
    bucket: draft.bucket ?? '',
    region: draft.region ?? '',
    format: draft.format ?? 'jsonl',
    // CSV options are hidden for JSON Lines; keep stored settings canonical.
    csvDelimiter: draft.format === 'csv' ? (draft.csvDelimiter ?? 'comma') : 'comma',
    csvForceQuote: draft.format === 'csv' ? (draft.csvForceQuote ?? false) : false,
    keyTemplate: draft.keyTemplate ?? '',
  };
  const validation = validateSettings(settings);
  if (!validation.ok) {
    for (const [field, messages] of Object.entries(validation.problems) as [FieldId, string[]][]) {
      if (!problems[field] && messages.length > 0) problems[field] = messages;
    }
  }
  const principalArn = principalForRegion({ principals }, settings.region);
  if (!problems[FIELD.region] && principalArn === undefined) {
    const partition = PARTITION_NAMES[partitionForRegion(settings.region)];
    problems[FIELD.region] = [
      `This bot is not set up for ${partition} regions, so it cannot connect a bucket in ${settings.region}. Choose another region, or ask whoever runs the bot to add an ${partition} principal.`,
    ];
  }
  if (Object.keys(problems).length > 0 || principalArn === undefined) {
    return { ok: false, problems };
  }
  return { ok: true, settings: validation.ok ? validation.settings : settings, principalArn };
}

/** Slack shows one string per block; several problems become one line each. */
export function toModalErrors(problems: SetupProblems): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [field, messages] of Object.entries(problems)) {
    if (messages && messages.length > 0) errors[field] = messages.join('\n');
  }
  return errors;
}
