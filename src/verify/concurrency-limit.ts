/**
 * Lets at most `limit` pieces of work run at once; the rest wait their turn, first come first
 * served. Unlike a pool over a known list, work arrives one call at a time from anywhere.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`A concurrency limit must be a whole number ≥ 1, not ${limit}`);
    }
  }

  /** Runs `work` once a turn is free; its result or rejection is the caller's. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await work();
    } finally {
      // Hand the turn straight to the next in line, so `running` never dips and lets a newcomer jump the queue.
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
