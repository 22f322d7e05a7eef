/** Work that runs after a Slack ack (verifications); shutdown waits for it, up to a bound. */
export class TaskTracker {
  private readonly running = new Set<Promise<unknown>>();

  /** Runs `work`, keeping it visible to `drain`; errors go to `onError`, so this never rejects. */
  run(work: () => Promise<unknown>, onError: (error: unknown) => unknown): Promise<void> {
    const task: Promise<void> = Promise.resolve()
      .then(work)
      .then(
        () => undefined,
        async (error: unknown) => {
          await onError(error);
        },
      )
      .finally(() => this.running.delete(task));
    this.running.add(task);
    return task;
  }

  get size(): number {
    return this.running.size;
  }

  /** Resolves true when every task finished, false when `timeoutMs` passed first. */
  async drain(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const done = (async () => {
      while (this.running.size > 0) await Promise.allSettled([...this.running]);
      return true as const;
    })();
    try {
      return await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
