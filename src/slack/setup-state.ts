import { z } from 'zod';
import { ACCESS_TYPES, newExternalId, roleArnProblems } from '../domain/access';
import { CSV_DELIMITERS, OUTPUT_FORMATS, type DestinationSettings } from '../domain/destination';
import { PARTITION_NAMES, partitionForRegion } from '../domain/partition';
import { principalForRegion, type Principals } from '../domain/principal';
import { validateSettings } from '../domain/validate-settings';
import { FIELD, FORCE_QUOTE_OPTION, type FieldId } from './ids';
import type { SetupDraft } from './setup-draft';

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
export function readSetupDraft(values: unknown): SetupDraft {
  const draft: SetupDraft = {};
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
  const accessType = oneOf(
    ACCESS_TYPES,
    element(values, FIELD.accessType, selected)?.selected_option?.value,
  );
  if (accessType) draft.accessType = accessType;
  const roleArn = element(values, FIELD.roleArn, plainText)?.value;
  if (typeof roleArn === 'string') draft.roleArn = roleArn;
  return draft;
}

export type SetupProblems = Partial<Record<FieldId, string[]>>;

export type SetupSubmission =
  | { ok: true; settings: DestinationSettings; principalArn: string }
  | { ok: false; problems: SetupProblems };

/** What the bot can offer for reaching a bucket through a role in the customer's account. */
export interface RoleAccessRules {
  /** S3_ENDPOINT is set: the engine's own role ARNs are accepted. */
  readonly s3Compatible?: boolean;
  /** False when no STS can assume roles (S3_ENDPOINT without STS_ENDPOINT). */
  readonly stsAvailable?: boolean;
  /** Draws the new destination's ExternalId (a fresh random one unless a test says otherwise). */
  readonly newExternalId?: () => string;
}

/**
 * Parses a submitted setup modal and applies every domain rule, including that the bot has a
 * principal in the region's partition (which it names); all problems at once. With `iam_role`,
 * the settings carry the role and a new ExternalId, drawn for this submission only.
 */
export function parseSetupSubmission(
  values: unknown,
  principals: Principals,
  roles: RoleAccessRules = {},
): SetupSubmission {
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
  const roleArn = draft.accessType === 'iam_role' ? (draft.roleArn ?? '').trim() : undefined;
  if (roleArn !== undefined) {
    const roleProblems =
      roles.stsAvailable === false
        ? [
            'This bot has no STS to assume roles with (S3_ENDPOINT is set without STS_ENDPOINT): choose the bucket policy, or ask whoever runs the bot to set STS_ENDPOINT.',
          ]
        : roleArnProblems(roleArn, settings.region, { s3Compatible: roles.s3Compatible ?? false });
    if (roleProblems.length > 0) problems[FIELD.roleArn] = roleProblems;
  }
  if (Object.keys(problems).length > 0 || principalArn === undefined) {
    return { ok: false, problems };
  }
  const valid = validation.ok ? validation.settings : settings;
  return {
    ok: true,
    // Bucket policy access is left implicit, as on every destination saved before roles existed.
    settings:
      roleArn === undefined
        ? valid
        : {
            ...valid,
            access: {
              type: 'iam_role',
              roleArn,
              externalId: (roles.newExternalId ?? newExternalId)(),
            },
          },
    principalArn,
  };
}

/** Slack shows one string per block; several problems become one line each. */
export function toModalErrors(problems: SetupProblems): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [field, messages] of Object.entries(problems)) {
    if (messages && messages.length > 0) errors[field] = messages.join('\n');
  }
  return errors;
}
