import { forEachConcurrently } from '../../support/worker-pool';

describe('forEachConcurrently', () => {
  it('handles every item once, never more than the limit at a time', async () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const seen: number[] = [];
    let running = 0;
    let peak = 0;

    await forEachConcurrently(items, 3, async (item) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(item);
      running -= 1;
    });

    expect(seen.sort((a, b) => a - b)).toEqual(items);
    expect(peak).toBe(3);
  });

  it('does nothing for no items', async () => {
    const work = jest.fn(async () => undefined);

    await forEachConcurrently([], 8, work);

    expect(work).not.toHaveBeenCalled();
  });
});
