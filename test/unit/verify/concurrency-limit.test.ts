import type { S3Client } from '@aws-sdk/client-s3';
import { ConcurrencyLimit } from '../../../src/verify/concurrency-limit';
import { S3Verifier } from '../../../src/verify/verifier';

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

describe('S3Verifier turns', () => {
  it('runs at most maxConcurrent verifications at once, each with its whole deadline', async () => {
    let inFlight = 0;
    let peak = 0;
    // Each S3 call takes 40 ms; a verification makes four rounds of calls (challenge with region,
    // list, write, ownership), so three one at a time take 480 ms, far past the 80 ms deadline: a
    // deadline that counted the wait would fail the later ones.
    const client = {
      send: async () => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 40));
        inFlight -= 1;
        return { BucketRegion: 'us-east-1' };
      },
    };
    // A stand-in for the SDK client: the verifier only calls `send`.
    const verifier = new S3Verifier(
      { forRegion: () => client as unknown as S3Client },
      { timeoutMs: 80, maxConcurrent: 1 },
    );
    const target = { bucket: 'acme-data-lake', region: 'us-east-1', challengeKey: 'challenge' };

    const reports = await Promise.all([1, 2, 3].map(() => verifier.verify(target)));

    expect(reports.map((report) => report.ok)).toEqual([true, true, true]);
    // One verification at a time: its challenge and region calls are the only ones that overlap.
    expect(peak).toBe(2);
  });
});
