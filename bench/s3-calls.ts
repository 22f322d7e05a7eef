import type { S3ClientFactory } from '../src/verify/s3-clients';

/** S3 requests sent through a factory's clients, by command (`ListObjectsV2`, `HeadObject`, …). */
export interface S3CallCounter {
  readonly clients: S3ClientFactory;
  /** Calls per command since the counter was made; retries of one call count once. */
  snapshot(): Map<string, number>;
}

/**
 * Wraps `factory` so that every call its clients send is counted: the sweep's figures then show
 * how many calls a destination really cost, not how many the code is thought to make.
 */
export function countS3Calls(factory: S3ClientFactory): S3CallCounter {
  const counts = new Map<string, number>();
  const counted = new WeakSet<object>();
  return {
    clients: {
      forRegion(region) {
        const client = factory.forRegion(region);
        if (!counted.has(client)) {
          counted.add(client);
          client.middlewareStack.add(
            (next, context) => (args) => {
              const command = (context.commandName ?? 'unknown').replace(/Command$/, '');
              counts.set(command, (counts.get(command) ?? 0) + 1);
              return next(args);
            },
            { step: 'initialize', name: 'benchS3CallCounter' },
          );
        }
        return client;
      },
      // Role-reached buckets are not part of the bench's sweep.
      forCredentials: (region, key, credentials) =>
        factory.forCredentials(region, key, credentials),
      destroy: () => factory.destroy(),
    },
    snapshot: () => new Map(counts),
  };
}

/** The calls made between two snapshots, by command. */
export function callsSince(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): Map<string, number> {
  const made = new Map<string, number>();
  for (const [command, count] of after) {
    const difference = count - (before.get(command) ?? 0);
    if (difference > 0) made.set(command, difference);
  }
  return made;
}
