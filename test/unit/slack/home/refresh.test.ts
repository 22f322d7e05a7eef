import { setTimeout as sleep } from 'node:timers/promises';
import { HomeRefresher, type RoundResult } from '../../../../src/slack/home/refresh';

/** A round that records what it was asked for, and answers `results` in turn (then complete). */
function recordingRound(results: RoundResult[] = [], busyMs = 0) {
  const calls: { changedAt: number; skip: string[]; at: number }[] = [];
  const round = async (changedAt: number, skip: ReadonlySet<string>): Promise<RoundResult> => {
    calls.push({ changedAt, skip: [...skip].sort(), at: Date.now() });
    if (busyMs > 0) await sleep(busyMs);
    return results.shift() ?? { complete: true, waitMs: 0 };
  };
  return { round, calls };
}

async function settled(refresher: HomeRefresher): Promise<void> {
  for (let waited = 0; refresher.size > 0 && waited < 5000; waited += 10) await sleep(10);
}

describe('HomeRefresher', () => {
  let refresher: HomeRefresher;
  afterEach(() => refresher.stop());

  it('folds changes that come before a round starts into that round', async () => {
    refresher = new HomeRefresher({ minIntervalMs: 50 });
    const { round, calls } = recordingRound();

    for (let changedAt = 1; changedAt <= 20; changedAt += 1)
      refresher.request('T1', changedAt, round);
    await settled(refresher);

    expect(calls.map((call) => call.changedAt)).toEqual([20]);
  });

  it('runs one more round, after the window, for changes during a round', async () => {
    refresher = new HomeRefresher({ minIntervalMs: 50 });
    const { round, calls } = recordingRound([{ complete: true, waitMs: 120 }], 30);

    refresher.request('T1', 1, round);
    await sleep(10);
    refresher.request('T1', 2, round);
    refresher.request('T1', 3, round);
    await settled(refresher);

    expect(calls.map((call) => call.changedAt)).toEqual([1, 3]);
    expect(calls[1].at - calls[0].at).toBeGreaterThanOrEqual(120);
  });

  it('tries a round that could not run again, no sooner than the interval', async () => {
    refresher = new HomeRefresher({ minIntervalMs: 60 });
    const { round, calls } = recordingRound([{ complete: false, waitMs: 0 }]);

    refresher.request('T1', 1, round);
    await settled(refresher);

    expect(calls.map((call) => call.changedAt)).toEqual([1, 1]);
    expect(calls[1].at - calls[0].at).toBeGreaterThanOrEqual(55);
  });

  it('leaves out a user only if every change of the round allows it', async () => {
    refresher = new HomeRefresher({ minIntervalMs: 20 });
    const { round, calls } = recordingRound();

    refresher.request('T1', 1, round, 'U1');
    refresher.request('T2', 1, round, 'U1');
    refresher.request('T2', 2, round);
    await settled(refresher);

    expect(calls.map((call) => call.skip)).toEqual([['U1'], []]);
  });

  it('keeps teams apart, and stops waiting rounds when stopped', async () => {
    refresher = new HomeRefresher({ minIntervalMs: 20 });
    const { round, calls } = recordingRound([{ complete: false, waitMs: 1000 }]);

    refresher.request('T1', 1, round);
    refresher.request('T2', 1, round);
    await sleep(50);
    refresher.stop();
    refresher.request('T3', 1, round);
    await sleep(50);

    expect(calls).toHaveLength(2);
    expect(refresher.size).toBe(0);
  });
});
