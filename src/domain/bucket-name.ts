const MIN_LENGTH = 3;
const MAX_LENGTH = 63;

// Reserved by S3 for its own features (punycode, S3 Access Points, Object Lambda, Multi-Region
// Access Points, directory buckets, table buckets, documentation examples).
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'] as const;
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'] as const;

// "Formatted as an IP address" is about the shape, so 999.1.1.1 counts too.
const IP_ADDRESS = /^\d{1,3}(\.\d{1,3}){3}$/;

// `s3a://` and `s3n://` are the Hadoop spellings people copy out of Spark jobs.
const S3_URL = /^s3[an]?:\/\/([^/?#]*)/i;
const S3_ARN = /^arn:[^:]+:s3:::([^/]*)/i;
const HTTP_URL = /^(?:https?:\/\/)?([^/?#:@\s]+)(?::\d+)?(?:\/([^/?#]*))?/i;
// Path-style endpoints: s3.amazonaws.com, s3.us-west-2…, s3-us-west-2… (legacy), s3.dualstack.….
const PATH_STYLE_HOST = /^s3(?:[.-][a-z0-9-]+(?:\.[a-z0-9-]+)?)?\.amazonaws\.com(?:\.cn)?$/;
// Virtual-hosted endpoints put the bucket in front of the same host names; the greedy bucket
// group keeps dots that belong to the bucket (my.data.s3.amazonaws.com → my.data).
const VIRTUAL_HOST = /^(.+)\.s3(?:[.-][a-z0-9-]+(?:\.[a-z0-9-]+)?)?\.amazonaws\.com(?:\.cn)?$/;
const BUCKET_AND_KEY = /^([^/:\s]+)\//;

/** The bare bucket name inside a pasted S3 URL, S3 ARN or `bucket/key`, lowercased; else undefined. */
export function suggestBucketName(input: string): string | undefined {
  const text = input.trim();
  const bucket = extractBucket(text);
  // Bucket names are always lowercase, and S3 host names are case-insensitive anyway.
  return bucket ? bucket.toLowerCase() : undefined;
}

function extractBucket(text: string): string | undefined {
  const s3Url = S3_URL.exec(text);
  if (s3Url) return s3Url[1];
  const arn = S3_ARN.exec(text);
  if (arn) return arn[1];
  const http = HTTP_URL.exec(text);
  if (http) {
    const host = http[1].toLowerCase();
    if (PATH_STYLE_HOST.test(host)) return http[2];
    const virtual = VIRTUAL_HOST.exec(host);
    if (virtual) return virtual[1];
  }
  return BUCKET_AND_KEY.exec(text)?.[1];
}

/** Every S3 bucket naming rule `input` breaks, as short user-facing sentences; empty when valid. */
export function bucketNameProblems(input: string): string[] {
  const problems: string[] = [];
  const name = input.trim();
  if (name !== input && name !== '') problems.push('Remove the spaces around the bucket name.');
  const suggestion = suggestBucketName(name);
  if (suggestion !== undefined) {
    problems.push(`Enter only the bucket name: did you mean \`${suggestion}\`?`);
    // The rest is about the name the user meant, not about the URL's slashes and colons.
    return [...problems, ...nameRuleProblems(suggestion)];
  }
  return [...problems, ...nameRuleProblems(name)];
}

function nameRuleProblems(name: string): string[] {
  if (name === '') return ['Enter a bucket name.'];
  const problems: string[] = [];
  const characters = [...name];
  if (characters.length < MIN_LENGTH || characters.length > MAX_LENGTH) {
    problems.push(
      `Bucket names are ${MIN_LENGTH} to ${MAX_LENGTH} characters long; this one has ${characters.length}.`,
    );
  }
  const uppercase = distinct(name.match(/[A-Z]/g));
  if (uppercase.length > 0) {
    problems.push(
      `Bucket names use lowercase letters only: write ${listOf(uppercase)} as ${listOf(
        uppercase.map((letter) => letter.toLowerCase()),
      )}.`,
    );
  }
  const invalid = distinct(name.match(/[^a-zA-Z0-9.-]/gu));
  if (invalid.length > 0) problems.push(`Bucket names can't contain ${listOf(invalid, 'or')}.`);
  // Case is covered above; repeating it here would report one letter twice.
  const lowered = name.toLowerCase();
  if (!/^[a-z0-9]/.test(lowered)) {
    problems.push(`Start the name with a letter or a digit, not ${quote(characters[0])}.`);
  }
  if (!/[a-z0-9]$/.test(lowered)) {
    problems.push(
      `End the name with a letter or a digit, not ${quote(characters[characters.length - 1])}.`,
    );
  }
  if (name.includes('..')) problems.push('Bucket names can\'t contain two dots in a row ("..").');
  if (IP_ADDRESS.test(name)) {
    problems.push("Bucket names can't look like an IP address (such as 192.168.5.4).");
  }
  for (const prefix of RESERVED_PREFIXES.filter((reserved) => lowered.startsWith(reserved))) {
    problems.push(`Bucket names can't start with "${prefix}": S3 reserves it.`);
  }
  for (const suffix of RESERVED_SUFFIXES.filter((reserved) => lowered.endsWith(reserved))) {
    problems.push(`Bucket names can't end with "${suffix}": S3 reserves it.`);
  }
  return problems;
}

function distinct(matches: RegExpMatchArray | null): string[] {
  return [...new Set(matches ?? [])];
}

function quote(character: string): string {
  if (character === ' ') return 'a space';
  if (/\s/.test(character)) return 'whitespace';
  return `"${character}"`;
}

function listOf(characters: string[], conjunction = 'and'): string {
  const quoted = [...new Set(characters.map(quote))];
  if (quoted.length === 1) return quoted[0];
  return `${quoted.slice(0, -1).join(', ')} ${conjunction} ${quoted.at(-1)}`;
}
