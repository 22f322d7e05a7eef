import type { DestinationSettings } from '../../src/domain/destination';
import { FIELD } from '../../src/slack/ids';
import { blockKitViolations } from '../support/block-kit-limits';
import { visibleText } from '../support/message-text';
import { DEFAULT_ACTOR, blockActionPayload, setupStateValues } from '../support/slack-payloads';
import type { RecordedCall } from '../support/slack-stand-in';
import { startTestApp, type TestApp } from '../support/test-app';
import { DEFAULT_KEY_TEMPLATE } from '../../src/domain/key-template';

const TYPED: Partial<DestinationSettings> = {
  bucket: 'typed-bucket',
  region: 'eu-west-1',
  format: 'csv',
  csvDelimiter: 'tab',
  csvForceQuote: true,
};
const VALID_TEMPLATE = DEFAULT_KEY_TEMPLATE;

type ModalBlock = {
  type: string;
  block_id?: string;
  element?: { initial_value?: string; initial_option?: { value: string } };
  elements?: { type: string; text: string }[];
};

/** A keystroke in the key template: the action Slack dispatches, with the modal as it was. */
function keystroke(
  t: TestApp,
  keyTemplate: string,
  { hash = 'hash-1', actedAt = 1700000000.1 }: { hash?: string; actedAt?: number } = {},
): unknown {
  const view = {
    id: 'V0001',
    hash,
    private_metadata: JSON.stringify({
      channelId: DEFAULT_ACTOR.channelId,
      responseUrl: t.slack.responseUrl('cmd'),
    }),
    state: { values: setupStateValues({ ...TYPED, keyTemplate }) },
  };
  return blockActionPayload(
    DEFAULT_ACTOR,
    {
      type: 'plain_text_input',
      block_id: FIELD.keyTemplate,
      action_id: FIELD.keyTemplate,
      value: keyTemplate,
      action_ts: String(actedAt),
    },
    { view },
  );
}

function blocksOf(update: RecordedCall): ModalBlock[] {
  return (update.body.view as { blocks: ModalBlock[] }).blocks;
}

/** The line under the key template: the preview, or the first problem. */
function previewOf(update: RecordedCall): string {
  const blocks = blocksOf(update);
  const key = blocks.findIndex((block) => block.block_id === FIELD.keyTemplate);
  return visibleText(blocks[key + 1].elements);
}

/** Waits for the work the app does after its acks, so that "nothing more happened" is final. */
async function settle(t: TestApp): Promise<void> {
  if (!(await t.deps.tasks.drain(5000))) throw new Error('background work did not finish');
}

describe('the key template preview, as the user types', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(async () => {
    await t.stop();
  });

  it('shows the first problem with the view’s hash, keeping every other input', async () => {
    const response = await t.interact(keystroke(t, '[integration_name]/[table_name]'));

    expect(response.status).toBe(200);
    const update = await t.slack.waitForCall('views.update');
    expect(update.body).toMatchObject({ view_id: 'V0001', hash: 'hash-1' });
    expect(previewOf(update)).toBe(
      ':warning: Add [table_version]: every key needs it. (and 1 more: see them on Continue)',
    );
    const byId = (id: string) => blocksOf(update).find((block) => block.block_id === id);
    expect(byId(FIELD.bucket)?.element?.initial_value).toBe('typed-bucket');
    expect(byId(FIELD.region)?.element?.initial_option?.value).toBe('eu-west-1');
    expect(byId(FIELD.csvDelimiter)?.element?.initial_option?.value).toBe('tab');
    expect(byId(FIELD.keyTemplate)?.element?.initial_value).toBe('[integration_name]/[table_name]');
    expect(blockKitViolations(update.body.view as never, 'modal')).toEqual([]);
  });

  it('previews the rendered key, with the format’s extension, once the template is valid', async () => {
    await t.interact(keystroke(t, `exports/${VALID_TEMPLATE}`));

    const update = await t.slack.waitForCall('views.update');
    expect(previewOf(update)).toBe(
      'Preview: `exports/salesforce-prod/account/1_1519235654474.csv`',
    );
  });

  it('drops an update Slack refuses with hash_conflict: a newer one won', async () => {
    t.slack.answer('views.update', { ok: false, error: 'hash_conflict' });

    await t.interact(keystroke(t, VALID_TEMPLATE));
    await t.slack.waitForCall('views.update');
    await settle(t);

    expect(t.slack.callsTo('views.update')).toHaveLength(1);
    expect(t.logs.join('\n')).not.toContain('views.update failed');
  });

  it('never shows an older keystroke’s preview after a newer one’s', async () => {
    await t.interact(keystroke(t, `${VALID_TEMPLATE}_new`, { actedAt: 1700000002 }));
    await t.slack.waitForCall('views.update');

    // The older keystroke's request arrives late: the newer preview stays.
    await t.interact(keystroke(t, '[table_name]', { actedAt: 1700000001 }));
    await settle(t);

    const updates = t.slack.callsTo('views.update');
    expect(updates).toHaveLength(1);
    expect(previewOf(updates[0])).toContain('1_1519235654474_new.csv');
  });

  it('leaves the newest keystroke’s preview on screen when its modal was just updated for an older one', async () => {
    // Slack changes the hash on every update; an update with a stale hash is refused.
    let current = 'hash-1';
    let next = 1;
    t.slack.answer('views.update', (body) => {
      if (body.hash !== current) return { ok: false, error: 'hash_conflict' };
      current = `hash-${++next}`;
      return { view: { ...(body.view as object), id: body.view_id, hash: current } };
    });

    // Typed before the first update reached the modal: both keystrokes carry hash-1.
    await t.interact(keystroke(t, '[table_name]', { actedAt: 1700000001 }));
    await t.slack.waitForCall('views.update');
    await t.interact(keystroke(t, VALID_TEMPLATE, { actedAt: 1700000002 }));
    await t.slack.waitForCall('views.update', 3);
    await settle(t);

    expect(t.slack.callsTo('views.update').map((call) => call.body.hash)).toEqual([
      'hash-1',
      'hash-1',
      'hash-2',
    ]);
    expect(current).toBe('hash-3');
    expect(previewOf(t.slack.callsTo('views.update')[2])).toContain('1_1519235654474.csv');
  });
});
