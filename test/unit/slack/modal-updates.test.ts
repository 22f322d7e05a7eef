import type { types } from '@slack/bolt';
import { ModalUpdates, type SendModalUpdate } from '../../../src/slack/modal-updates';

const modal = (title: string): types.ModalView => ({
  type: 'modal',
  title: { type: 'plain_text', text: title },
  blocks: [],
});

/** A views.update stand-in whose answers the test releases one by one. */
function heldSend() {
  const sent: { hash: string; title: string; answer: (hash: string | 'conflict') => void }[] = [];
  const send: SendModalUpdate = (_viewId, hash, view) =>
    new Promise((resolve) => {
      sent.push({
        hash,
        title: view.title.text,
        answer: (answer) => resolve(answer === 'conflict' ? answer : { hash: answer }),
      });
    });
  return { sent, send };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('ModalUpdates', () => {
  it('updates one modal at a time, skipping actions a newer one overtook while they waited', async () => {
    const updates = new ModalUpdates();
    const { sent, send } = heldSend();
    const request = (actedAt: number) => ({
      viewId: 'V1',
      hash: 'h1',
      actedAt,
      build: () => modal(`typed at ${actedAt}`),
    });

    const first = updates.update(request(1), send);
    await flush();
    const second = updates.update(request(2), send);
    const third = updates.update(request(3), send);
    await flush();
    expect(sent.map((call) => call.title)).toEqual(['typed at 1']);
    sent[0].answer('h2');

    expect(await first).toBe('updated');
    expect(await second).toBe('superseded');
    await flush();
    // The third runs on the hash the first update gave the modal, once its own is refused.
    expect(sent.map((call) => [call.title, call.hash])).toEqual([
      ['typed at 1', 'h1'],
      ['typed at 3', 'h1'],
    ]);
    sent[1].answer('conflict');
    await flush();
    expect(sent[2]).toMatchObject({ title: 'typed at 3', hash: 'h2' });
    sent[2].answer('h3');
    expect(await third).toBe('updated');
  });

  it('drops at once an action older than one already seen, and a conflict it cannot explain', async () => {
    const updates = new ModalUpdates();
    const { sent, send } = heldSend();

    const newer = updates.update(
      { viewId: 'V1', hash: 'h1', actedAt: 5, build: () => modal('5') },
      send,
    );
    const older = updates.update(
      { viewId: 'V1', hash: 'h1', actedAt: 4, build: () => modal('4') },
      send,
    );
    expect(await older).toBe('superseded');
    await flush();
    sent[0].answer('conflict');

    expect(await newer).toBe('conflict');
    expect(sent).toHaveLength(1);
  });

  it('keeps modals apart', async () => {
    const updates = new ModalUpdates();
    const { sent, send } = heldSend();

    const one = updates.update(
      { viewId: 'V1', hash: 'a', actedAt: 9, build: () => modal('1') },
      send,
    );
    const two = updates.update(
      { viewId: 'V2', hash: 'b', actedAt: 1, build: () => modal('2') },
      send,
    );
    await flush();
    expect(sent.map((call) => call.title)).toEqual(['1', '2']);
    sent.forEach((call) => call.answer('next'));

    expect([await one, await two]).toEqual(['updated', 'updated']);
  });
});
