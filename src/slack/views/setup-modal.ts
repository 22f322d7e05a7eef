import type { types } from '@slack/bolt';
import {
  CSV_DELIMITERS,
  CSV_DELIMITER_LABELS,
  FORMAT_EXTENSIONS,
  FORMAT_LABELS,
  OUTPUT_FORMATS,
  type DestinationSettings,
} from '../../domain/destination';
import {
  DEFAULT_KEY_TEMPLATE,
  FORBIDDEN_CHARACTERS,
  MAX_KEY_TEMPLATE_LENGTH,
  OPTIONAL_ELEMENTS,
  REQUIRED_ELEMENTS,
  SLACK_UNSAFE_CHARACTERS,
  keyTemplateProblems,
  previewKey,
} from '../../domain/key-template';
import type { Partition } from '../../domain/partition';
import { DEFAULT_REGION, regionLabel, regionsIn } from '../../domain/regions';
import { FIELD, FORCE_QUOTE_OPTION, SETUP_CALLBACK_ID } from '../ids';
import type { SetupMetadata } from '../metadata';
import type { SetupDraft } from '../setup-draft';
import { accessBlocks } from './access-blocks';
import { inlineCode } from './mrkdwn';

/** The modal's defaults: what a user sees before touching anything. */
export const DEFAULT_SETTINGS: DestinationSettings = {
  bucket: '',
  region: DEFAULT_REGION,
  format: 'jsonl',
  csvDelimiter: 'comma',
  csvForceQuote: false,
  keyTemplate: DEFAULT_KEY_TEMPLATE,
};

const text = (value: string): types.PlainTextElement => ({ type: 'plain_text', text: value });

const option = (value: string, label: string): types.PlainTextOption => ({
  text: text(label),
  value,
});

// The refused characters, in the order the key template rules (domain/key-template.ts) list them.
const KEY_TEMPLATE_REFUSED = `No whitespace, no ${[
  ...FORBIDDEN_CHARACTERS,
  ...SLACK_UNSAFE_CHARACTERS,
]
  .filter((character) => character !== ' ')
  .join(' ')}, no extension.`;

// Built once per set of partitions: the select is most of the modal's bytes, and every form of
// the same partitions (each keystroke in the key template makes one) shares it.
const regionOptionsByPartitions = new Map<string, types.PlainTextOption[]>();

/** The region select's options: only the regions of the partitions the bot has a principal in. */
function regionOptionsFor(partitions: readonly Partition[]): types.PlainTextOption[] {
  const key = partitions.join(',');
  let options = regionOptionsByPartitions.get(key);
  if (options === undefined) {
    options = regionsIn(partitions).map((region) => option(region.code, regionLabel(region.code)));
    regionOptionsByPartitions.set(key, options);
  }
  return options;
}

/**
 * Below the key template: a rendered example key, or the template's first problem while it is not
 * valid (plain text, so that whatever was typed shows as typed).
 */
export function keyPreview(
  settings: Pick<DestinationSettings, 'keyTemplate' | 'format'>,
): types.MrkdwnElement | types.PlainTextElement {
  const [first, ...more] = keyTemplateProblems(settings.keyTemplate);
  if (first === undefined) {
    return {
      type: 'mrkdwn',
      text: `Preview: ${inlineCode(previewKey(settings.keyTemplate, settings.format))}`,
    };
  }
  const others = more.length === 0 ? '' : ` (and ${more.length} more: see them on Continue)`;
  return { type: 'plain_text', emoji: true, text: `:warning: ${first}${others}` };
}

/** The setup modal without its private_metadata: the same for everyone given the same inputs. */
type SetupForm = Omit<types.ModalView, 'private_metadata'>;

/** How many forms are kept; the command's own (no values) is the one asked for all the time. */
const MAX_FORMS = 32;
// Built forms by their inputs, most recently used last; each frozen, as every caller shares it.
const forms = new Map<string, { readonly form: SetupForm; json?: string }>();

/**
 * The form for these inputs, built once and then shared: a command that opens the modal rebuilds
 * nothing (the key preview, the region select, the hint). A pure function of its inputs, memoized
 * by them, so that a new input only has to join the key.
 */
function setupForm(partitions: readonly Partition[], values: Partial<DestinationSettings>) {
  const key = JSON.stringify([partitions, values]);
  let entry = forms.get(key);
  if (entry === undefined) {
    entry = { form: deepFreeze(buildSetupForm(partitions, values)) };
    if (forms.size >= MAX_FORMS) forms.delete(forms.keys().next().value as string);
  } else {
    forms.delete(key);
  }
  forms.set(key, entry);
  return entry;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * The setup modal, whose region select offers the regions of `partitions` only. CSV options
 * appear only while CSV is selected; every input starts from `values` so that rebuilding the
 * modal (format toggle, key preview) never loses what the user typed. Its parts are shared and
 * frozen: copy before changing any.
 */
export function buildSetupModal(
  metadata: SetupMetadata,
  partitions: readonly Partition[],
  values: SetupDraft = {},
): types.ModalView {
  return { ...setupForm(partitions, values).form, private_metadata: JSON.stringify(metadata) };
}

/**
 * `buildSetupModal` as JSON, for a Web API body: the form is serialised once per set of inputs,
 * and only the metadata on each call (the form is 6 KB; serialising it was a third of the
 * command's own CPU).
 */
export function setupModalJson(
  metadata: SetupMetadata,
  partitions: readonly Partition[],
  values: Partial<DestinationSettings> = {},
): string {
  const entry = setupForm(partitions, values);
  entry.json ??= JSON.stringify(entry.form);
  // The form's JSON is an object: its closing brace makes room for one more member.
  const metadataMember = `"private_metadata":${JSON.stringify(JSON.stringify(metadata))}`;
  return `${entry.json.slice(0, -1)},${metadataMember}}`;
}

/** The form for `partitions` and `values`: what `setupForm` keeps. */
function buildSetupForm(
  partitions: readonly Partition[],
  values: Partial<DestinationSettings>,
): SetupForm {
  const settings = { ...DEFAULT_SETTINGS, ...values };
  const blocks: types.KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: 'Connect an Amazon S3 bucket as a load destination. Next you get a bucket policy (or a role to create) and a challenge file to upload, then *Check and Save*.',
      },
    },
    bucketBlock(settings),
    regionBlock(regionOptionsFor(partitions), settings),
    ...accessBlocks(values),
    formatBlock(settings),
    ...(settings.format === 'csv' ? csvBlocks(settings) : []),
    ...keyTemplateBlocks(settings),
  ];
  return {
    type: 'modal',
    callback_id: SETUP_CALLBACK_ID,
    title: text('Connect S3 destination'),
    submit: text('Continue'),
    close: text('Cancel'),
    blocks,
  };
}

function bucketBlock(settings: DestinationSettings): types.KnownBlock {
  return {
    type: 'input',
    block_id: FIELD.bucket,
    label: text('S3 bucket name'),
    hint: text('Only the bucket name: no s3://, no URL, no key.'),
    element: {
      type: 'plain_text_input',
      action_id: FIELD.bucket,
      placeholder: text('my-company-data'),
      max_length: 255,
      ...(settings.bucket ? { initial_value: settings.bucket } : {}),
    },
  };
}

function regionBlock(
  regionOptions: types.PlainTextOption[],
  settings: DestinationSettings,
): types.KnownBlock {
  return {
    type: 'input',
    block_id: FIELD.region,
    label: text('Region'),
    element: {
      type: 'static_select',
      action_id: FIELD.region,
      options: regionOptions,
      initial_option: regionOptions.find((o) => o.value === settings.region) ?? regionOptions[0],
    },
  };
}

function formatBlock(settings: DestinationSettings): types.KnownBlock {
  return {
    type: 'input',
    block_id: FIELD.format,
    label: text('Data storage format'),
    dispatch_action: true,
    element: {
      type: 'radio_buttons',
      action_id: FIELD.format,
      options: OUTPUT_FORMATS.map((format) =>
        option(format, `${FORMAT_LABELS[format]} (${FORMAT_EXTENSIONS[format]})`),
      ),
      initial_option: option(
        settings.format,
        `${FORMAT_LABELS[settings.format]} (${FORMAT_EXTENSIONS[settings.format]})`,
      ),
    },
  };
}

/** The CSV format's own inputs: the delimiter and the quoting. */
function csvBlocks(settings: DestinationSettings): types.KnownBlock[] {
  const delimiterOptions = CSV_DELIMITERS.map((d) => option(d, CSV_DELIMITER_LABELS[d]));
  const forceQuote: types.PlainTextOption = {
    ...option(FORCE_QUOTE_OPTION, 'Quote all elements'),
    description: text(
      'Every value quoted, numbers too. Off: only values holding the delimiter, a quote or a line break.',
    ),
  };
  return [
    {
      type: 'input',
      block_id: FIELD.csvDelimiter,
      label: text('CSV delimiter'),
      element: {
        type: 'static_select',
        action_id: FIELD.csvDelimiter,
        options: delimiterOptions,
        initial_option:
          delimiterOptions.find((o) => o.value === settings.csvDelimiter) ?? delimiterOptions[0],
      },
    },
    {
      type: 'input',
      block_id: FIELD.csvForceQuote,
      label: text('CSV quoting'),
      optional: true,
      element: {
        type: 'checkboxes',
        action_id: FIELD.csvForceQuote,
        options: [forceQuote],
        ...(settings.csvForceQuote ? { initial_options: [forceQuote] } : {}),
      },
    },
  ];
}

/** The key template's input and, below it, the preview its every keystroke updates. */
function keyTemplateBlocks(settings: DestinationSettings): types.KnownBlock[] {
  const elements = [...REQUIRED_ELEMENTS, ...OPTIONAL_ELEMENTS].map((name) => `[${name}]`);
  return [
    {
      type: 'input',
      block_id: FIELD.keyTemplate,
      label: text('S3 object key'),
      // Each keystroke dispatches an action that updates the preview below (key-preview.ts).
      dispatch_action: true,
      hint: text(
        `Required: ${elements.slice(0, REQUIRED_ELEMENTS.length).join(' ')}. Optional: ${elements
          .slice(REQUIRED_ELEMENTS.length)
          .join(' ')} and your own text. ${KEY_TEMPLATE_REFUSED}`,
      ),
      element: {
        type: 'plain_text_input',
        action_id: FIELD.keyTemplate,
        max_length: MAX_KEY_TEMPLATE_LENGTH,
        initial_value: settings.keyTemplate,
        dispatch_action_config: { trigger_actions_on: ['on_character_entered'] },
      },
    },
    {
      type: 'context',
      elements: [keyPreview(settings)],
    },
  ];
}
