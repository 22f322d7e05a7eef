import { FIELD } from '../../src/slack/ids';
import { blockKitViolations } from '../support/block-kit-limits';
import { DEFAULT_ACTOR, blockActionPayload, setupStateValues } from '../support/slack-payloads';
import type { RecordedCall } from '../support/slack-stand-in';
import { startTestApp, type TestApp } from '../support/test-app';

type ModalBlock = {
  block_id?: string;
  element?: { initial_value?: string; initial_option?: { value: string } };
};

const ROLE_ARN = 'arn:aws:iam::222222222222:role/s3-destination';

/** A click on the access radio: the action Slack dispatches, with the modal as it was. */
function choose(accessType: 'bucket_policy' | 'iam_role', roleArn?: string): unknown {
  const view = {
    id: 'V0002',
    hash: 'hash-1',
    private_metadata: JSON.stringify({ channelId: DEFAULT_ACTOR.channelId }),
    state: {
      values: setupStateValues(
        {
          bucket: 'typed-bucket',
          region: 'eu-west-1',
          format: 'csv',
          csvDelimiter: 'pipe',
          keyTemplate: '[integration_name]/[table_name]',
        },
        accessType === 'iam_role' ? { type: 'iam_role', roleArn } : { type: 'bucket_policy' },
      ),
    },
  };
  return blockActionPayload(
    DEFAULT_ACTOR,
    {
      type: 'radio_buttons',
      block_id: FIELD.accessType,
      action_id: FIELD.accessType,
      selected_option: { value: accessType },
      action_ts: '1700000000.1',
    },
    { view },
  );
}

const blockOf = (update: RecordedCall, id: string) =>
  (update.body.view as { blocks: ModalBlock[] }).blocks.find((block) => block.block_id === id);

describe('the access choice in the setup modal', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(async () => {
    await t.stop();
  });

  it('shows the role ARN once the IAM role is chosen, keeping everything typed, with the view’s hash', async () => {
    const response = await t.interact(choose('iam_role'));

    expect(response.status).toBe(200);
    const update = await t.slack.waitForCall('views.update');
    expect(update.body).toMatchObject({ view_id: 'V0002', hash: 'hash-1' });
    expect(blockOf(update, FIELD.accessType)?.element?.initial_option?.value).toBe('iam_role');
    expect(blockOf(update, FIELD.roleArn)).toBeDefined();
    expect(blockOf(update, FIELD.bucket)?.element?.initial_value).toBe('typed-bucket');
    expect(blockOf(update, FIELD.region)?.element?.initial_option?.value).toBe('eu-west-1');
    expect(blockOf(update, FIELD.csvDelimiter)?.element?.initial_option?.value).toBe('pipe');
    expect(blockOf(update, FIELD.keyTemplate)?.element?.initial_value).toBe(
      '[integration_name]/[table_name]',
    );
    expect(blockKitViolations(update.body.view as never, 'modal')).toEqual([]);
  });

  it('hides the role ARN again for the bucket policy', async () => {
    await t.interact(choose('bucket_policy', ROLE_ARN));

    const update = await t.slack.waitForCall('views.update');
    expect(blockOf(update, FIELD.roleArn)).toBeUndefined();
    expect(blockOf(update, FIELD.csvDelimiter)?.element?.initial_option?.value).toBe('pipe');
  });

  it('keeps the role ARN typed so far when the format is toggled', async () => {
    const payload = choose('iam_role', ROLE_ARN) as { actions: Record<string, unknown>[] };
    payload.actions = [
      {
        type: 'radio_buttons',
        block_id: FIELD.format,
        action_id: FIELD.format,
        selected_option: { value: 'jsonl' },
        action_ts: '1700000000.2',
      },
    ];

    await t.interact(payload);

    const update = await t.slack.waitForCall('views.update');
    expect(blockOf(update, FIELD.roleArn)?.element?.initial_value).toBe(ROLE_ARN);
    expect(blockOf(update, FIELD.csvDelimiter)).toBeUndefined();
  });
});
