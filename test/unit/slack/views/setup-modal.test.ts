import { PARTITIONS } from '../../../../src/domain/partition';
import { AWS_REGIONS } from '../../../../src/domain/regions';
import {
  buildSetupModal,
  keyPreview,
  setupModalJson,
} from '../../../../src/slack/views/setup-modal';
import { blockKitViolations } from '../../../support/block-kit-limits';
import { DEFAULT_KEY_TEMPLATE } from '../../../../src/domain/key-template';

const metadata = { channelId: 'C0DATA', responseUrl: 'https://hooks.slack.com/commands/T0/1/abc' };

type AnyBlock = {
  block_id?: string;
  type: string;
  element?: Record<string, unknown>;
  elements?: { text: string }[];
};

const blocksOf = (view: ReturnType<typeof buildSetupModal>) => view.blocks as AnyBlock[];
const byId = (view: ReturnType<typeof buildSetupModal>, id: string) =>
  blocksOf(view).find((b) => b.block_id === id);

describe('buildSetupModal', () => {
  it('starts from the defaults: us-east-1, JSON Lines, the default key template', () => {
    const view = buildSetupModal(metadata, PARTITIONS);

    expect(view.callback_id).toBe('s3_destination_setup');
    expect((byId(view, 'region')?.element?.initial_option as { value: string }).value).toBe(
      'us-east-1',
    );
    expect(
      (byId(view, 'output_file_format')?.element?.initial_option as { value: string }).value,
    ).toBe('jsonl');
    expect(byId(view, 's3_key_format_string')?.element?.initial_value).toBe(
      '[integration_name]/[table_name]/[table_version]_[timestamp_loaded]',
    );
    expect(byId(view, 'csv_delimiter')).toBeUndefined();
    expect(byId(view, 'csv_force_quote')).toBeUndefined();
    expect(JSON.parse(view.private_metadata!)).toEqual(metadata);
  });

  it('dispatches an action when the format changes', () => {
    const format = byId(buildSetupModal(metadata, PARTITIONS), 'output_file_format') as AnyBlock & {
      dispatch_action?: boolean;
    };

    expect(format.dispatch_action).toBe(true);
    expect(format.element?.action_id).toBe('output_file_format');
  });

  it('shows CSV options, with the chosen values, while CSV is selected', () => {
    const view = buildSetupModal(metadata, PARTITIONS, {
      format: 'csv',
      csvDelimiter: 'tab',
      csvForceQuote: true,
    });

    expect((byId(view, 'csv_delimiter')?.element?.initial_option as { value: string }).value).toBe(
      'tab',
    );
    expect(byId(view, 'csv_force_quote')?.element?.initial_options).toEqual([
      expect.objectContaining({ value: 'force_quote' }),
    ]);
  });

  it('keeps what the user typed', () => {
    const view = buildSetupModal(metadata, PARTITIONS, {
      bucket: 'typed',
      region: 'cn-north-1',
      keyTemplate: 'x',
    });

    expect(byId(view, 's3_bucket')?.element?.initial_value).toBe('typed');
    expect((byId(view, 'region')?.element?.initial_option as { value: string }).value).toBe(
      'cn-north-1',
    );
    expect(byId(view, 's3_key_format_string')?.element?.initial_value).toBe('x');
  });

  it('offers every region, within Slack’s 100-option limit', () => {
    const options = byId(buildSetupModal(metadata, PARTITIONS), 'region')?.element?.options as {
      value: string;
    }[];

    expect(options.map((o) => o.value)).toEqual(AWS_REGIONS.map((r) => r.code));
  });

  it('offers only the regions of partitions the bot has a principal in', () => {
    const options = byId(buildSetupModal(metadata, ['aws', 'aws-us-gov']), 'region')?.element
      ?.options as { value: string }[];
    const offered = options.map((o) => o.value);

    expect(offered).toContain('us-east-1');
    expect(offered).toContain('us-gov-west-1');
    expect(offered).toContain('us-gov-east-1');
    expect(offered.filter((code) => code.startsWith('cn-'))).toEqual([]);
  });

  it('offers no China or GovCloud region to a bot with only the aws principal', () => {
    const options = byId(buildSetupModal(metadata, ['aws']), 'region')?.element?.options as {
      value: string;
    }[];

    expect(options.some((o) => /^(cn|us-gov)-/.test(o.value))).toBe(false);
    expect(options.length).toBe(AWS_REGIONS.length - 4);
  });

  it.each([
    ['JSON Lines', {}],
    ['CSV', { format: 'csv' as const }],
  ])('stays within Slack’s modal limits (%s)', (_name, values) => {
    expect(blockKitViolations(buildSetupModal(metadata, PARTITIONS, values), 'modal')).toEqual([]);
  });

  it('previews a rendered key while the template is valid', () => {
    expect(
      keyPreview({
        keyTemplate: DEFAULT_KEY_TEMPLATE,
        format: 'csv',
      }),
    ).toEqual({ type: 'mrkdwn', text: 'Preview: `salesforce-prod/account/1_1519235654474.csv`' });
  });

  it('shows the first problem instead, as typed, and how many more there are', () => {
    expect(keyPreview({ keyTemplate: '[table_name]', format: 'csv' })).toEqual({
      type: 'plain_text',
      emoji: true,
      text: ':warning: Add [integration_name]: every key needs it. (and 2 more: see them on Continue)',
    });
    expect(
      keyPreview({
        keyTemplate: '[integration_name]/[table_name]/[table_version]_[timestamp_loaded]<U1>',
        format: 'jsonl',
      }),
    ).toEqual({
      type: 'plain_text',
      emoji: true,
      text: ':warning: The characters < > are not allowed: Amazon S3 advises against them in keys, and they break Slack formatting.',
    });
  });

  it('updates the preview as the user types in the key template', () => {
    const key = byId(buildSetupModal(metadata, PARTITIONS), 's3_key_format_string') as AnyBlock & {
      dispatch_action?: boolean;
    };

    expect(key.dispatch_action).toBe(true);
    expect(key.element).toMatchObject({
      action_id: 's3_key_format_string',
      dispatch_action_config: { trigger_actions_on: ['on_character_entered'] },
    });
    const blocks = blocksOf(
      buildSetupModal(metadata, PARTITIONS, {
        keyTemplate: '[integration_name]/[table_name]/[table_version]_[timestamp_loaded]/[x]',
      }),
    );
    const preview = blocks[blocks.findIndex((b) => b.block_id === 's3_key_format_string') + 1];
    expect(preview.type).toBe('context');
    expect(preview.elements?.[0].text).toMatch(/^:warning: \[x\] is not a known element/);
  });

  it('explains what quoting all elements means', () => {
    const quoting = byId(
      buildSetupModal(metadata, PARTITIONS, { format: 'csv' }),
      'csv_force_quote',
    );

    expect(quoting?.element?.options).toEqual([
      expect.objectContaining({
        text: { type: 'plain_text', text: 'Quote all elements' },
        description: expect.objectContaining({
          text: expect.stringContaining('Every value quoted, numbers too.'),
        }),
      }),
    ]);
  });
});

describe('setupModalJson', () => {
  it('is the modal buildSetupModal builds, with each call’s own metadata', () => {
    const other = {
      channelId: 'C0OTHER',
      responseUrl: 'https://hooks.slack.com/commands/T0/2/"x"',
    };

    for (const values of [{}, { format: 'csv' as const, bucket: 'acme-data' }]) {
      expect(JSON.parse(setupModalJson(metadata, PARTITIONS, values))).toEqual(
        buildSetupModal(metadata, PARTITIONS, values),
      );
      expect(JSON.parse(setupModalJson(other, ['aws'], values))).toEqual(
        buildSetupModal(other, ['aws'], values),
      );
    }
  });
});

describe('the forms shared between calls', () => {
  it('are the same for the same inputs and cannot be changed by a caller', () => {
    const first = buildSetupModal(metadata, PARTITIONS);
    const second = buildSetupModal({ channelId: 'C0OTHER' }, PARTITIONS);

    expect(second.blocks).toBe(first.blocks);
    expect(JSON.parse(second.private_metadata!)).toEqual({ channelId: 'C0OTHER' });
    expect(() => (first.blocks as unknown[]).push({})).toThrow(TypeError);
    expect(buildSetupModal(metadata, ['aws']).blocks).not.toBe(first.blocks);
    expect(byId(buildSetupModal(metadata, PARTITIONS, { bucket: 'acme-data' }), 's3_bucket')).toBe(
      byId(buildSetupModal(metadata, PARTITIONS, { bucket: 'acme-data' }), 's3_bucket'),
    );
  });
});
