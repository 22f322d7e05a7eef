/** What the user asked for with `/s3-destination <text>`. */
export type CommandRequest =
  | { kind: 'setup' }
  | { kind: 'list' }
  | { kind: 'help' }
  | { kind: 'verify' | 'remove' | 'policy'; bucket: string }
  | { kind: 'missing_bucket'; subcommand: 'verify' | 'remove' | 'policy' }
  | { kind: 'unknown'; input: string; suggestion?: string };

export const SUBCOMMANDS = ['setup', 'list', 'verify', 'remove', 'policy', 'help'] as const;

/** Edits between two words, a swap of neighbours counting as one (the commonest typo). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** The subcommand closest to `word` when it is a near miss (a typo or two), else undefined. */
export function suggestSubcommand(word: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of SUBCOMMANDS) {
    const distance = editDistance(word, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  const tolerance = word.length <= 4 ? 1 : 2;
  return best && best.distance <= tolerance ? best.name : undefined;
}

/** Parses the slash command's text; never throws, whatever was typed. */
export function parseCommandText(raw: string | undefined): CommandRequest {
  const words = (raw ?? '').trim().split(/\s+/).filter(Boolean);
  const [first, second] = words;
  const subcommand = (first ?? 'help').toLowerCase();
  switch (subcommand) {
    case 'setup':
    case 'list':
    case 'help':
      return { kind: subcommand };
    case 'verify':
    case 'remove':
    case 'policy':
      return second ? { kind: subcommand, bucket: second } : { kind: 'missing_bucket', subcommand };
    default: {
      const suggestion = suggestSubcommand(subcommand);
      return { kind: 'unknown', input: first ?? '', ...(suggestion ? { suggestion } : {}) };
    }
  }
}
