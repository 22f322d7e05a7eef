import { ConcurrencyLimit } from '../../../src/verify/concurrency-limit';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ConcurrencyLimit', () => {
  it('runs every piece of work, never more than the limit at once, in order of arrival', async () => {
    const limit = new ConcurrencyLimit(2);
    const started: number[] = [];
    let running = 0;
    let peak = 0;

    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        limit.run(async () => {
          started.push(i);
          running += 1;
          peak = Math.max(peak, running);
          await tick();
          running -= 1;
          return i * 10;
        }),
      ),
    );

    expect(results).toEqual([0, 10, 20, 30, 40, 50]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
  });

  it('frees the turn of work that fails and hands the failure to its caller', async () => {
    const limit = new ConcurrencyLimit(1);

    const failed = limit.run(() => Promise.reject(new Error('boom')));
    const next = limit.run(async () => 'ran');

    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
  });

  it('refuses a limit below one', () => {
    expect(() => new ConcurrencyLimit(0)).toThrow(RangeError);
  });
});
