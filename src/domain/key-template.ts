import { FORMAT_EXTENSIONS, type OutputFormat } from './destination';

export const REQUIRED_ELEMENTS = [
  'integration_name',
  'table_name',
  'table_version',
  'timestamp_loaded',
] as const;
export const OPTIONAL_ELEMENTS = [
  'year_loaded',
  'month_loaded',
  'day_loaded',
  'hour_loaded',
] as const;
export type ElementName = (typeof REQUIRED_ELEMENTS)[number] | (typeof OPTIONAL_ELEMENTS)[number];

export const DEFAULT_KEY_TEMPLATE =
  '[integration_name]/[table_name]/[table_version]_[timestamp_loaded]';
export const MAX_KEY_TEMPLATE_LENGTH = 500;
export const FORBIDDEN_CHARACTERS = ['!', '@', '#', '$', '%', '^', '&', '*', ' '] as const;
/** Characters Amazon S3 advises against in keys that also break Slack's mrkdwn where keys are shown. */
export const SLACK_UNSAFE_CHARACTERS = ['`', '<', '>', '|', '\\', '{', '}', '"', '~'] as const;
/** Endings the format adds by itself; a template ending in one would write `x.csv.csv`. */
export const FORMAT_ENDINGS = ['.csv', '.jsonl', '.json'] as const;

/**
 * One piece of a key template. Any `[name]` that is not a known element becomes `unknown`, so
 * callers can name it; a bracket without its partner stays inside `text`.
 */
export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'element'; name: ElementName }
  | { kind: 'unknown'; name: string };

/** What one load supplies to fill in a key template. */
export interface LoadValues {
  integrationName: string;
  tableName: string;
  tableVersion: number | string;
  /** Unix time in milliseconds. */
  timestampLoaded: number;
}

/** The reference product's own example load, used for previews. */
export const SAMPLE_LOAD_VALUES: Readonly<LoadValues> = {
  integrationName: 'salesforce-prod',
  tableName: 'account',
  tableVersion: 1,
  timestampLoaded: 1519235654474,
};

const ELEMENT_NAMES: readonly string[] = [...REQUIRED_ELEMENTS, ...OPTIONAL_ELEMENTS];
// Innermost pairs only: in "[[table_name]" the first "[" is the unbalanced one.
const ELEMENT = /\[([^[\]]*)\]/g;

function isElementName(name: string): name is ElementName {
  return ELEMENT_NAMES.includes(name);
}

/** Splits a template into text, known elements and unknown `[...]` elements, in order. */
export function parseKeyTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let textStart = 0;
  for (const match of template.matchAll(ELEMENT)) {
    if (match.index > textStart) {
      parts.push({ kind: 'text', text: template.slice(textStart, match.index) });
    }
    const name = match[1];
    parts.push(isElementName(name) ? { kind: 'element', name } : { kind: 'unknown', name });
    textStart = match.index + match[0].length;
  }
  if (textStart < template.length) parts.push({ kind: 'text', text: template.slice(textStart) });
  return parts;
}

/** Every problem with a key template, each naming what is wrong and where; empty when valid. */
export function keyTemplateProblems(template: string): string[] {
  if (template === '') return [`Enter a key template, such as ${DEFAULT_KEY_TEMPLATE}`];
  const parts = parseKeyTemplate(template);
  // Positions and length count characters as the user sees them, not UTF-16 code units.
  const characters = [...template];
  const problems: string[] = [];
  if (characters.length > MAX_KEY_TEMPLATE_LENGTH) {
    problems.push(
      `The template is ${characters.length} characters long; the limit is ${MAX_KEY_TEMPLATE_LENGTH}.`,
    );
  }
  const present = new Set(parts.flatMap((part) => (part.kind === 'element' ? [part.name] : [])));
  for (const name of REQUIRED_ELEMENTS.filter((required) => !present.has(required))) {
    problems.push(`Add [${name}]: every key needs it.`);
  }
  for (const name of new Set(
    parts.flatMap((part) => (part.kind === 'unknown' ? [part.name] : [])),
  )) {
    problems.push(unknownElementProblem(name));
  }
  problems.push(...unbalancedBracketProblems(parts));
  problems.push(...forbiddenCharacterProblems(characters));
  problems.push(...whitespaceProblems(characters));
  problems.push(...slackUnsafeCharacterProblems(characters));
  problems.push(...pathProblems(template));
  return problems;
}

function unknownElementProblem(name: string): string {
  // Catches the usual slips: [Table_Name], [table-name], [ table name ].
  const normalized = name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  const intended = ELEMENT_NAMES.includes(normalized) ? normalized : undefined;
  const hint = intended
    ? `did you mean [${intended}]?`
    : `use one of ${ELEMENT_NAMES.map((known) => `[${known}]`).join(' ')}.`;
  return `[${name}] is not a known element: ${hint}`;
}

function unbalancedBracketProblems(parts: TemplatePart[]): string[] {
  const problems: string[] = [];
  let position = 0;
  for (const part of parts) {
    if (part.kind !== 'text') {
      position += [...`[${part.name}]`].length;
      continue;
    }
    for (const character of part.text) {
      position += 1;
      if (character === '[') problems.push(`"[" at position ${position} has no closing "]".`);
      if (character === ']') problems.push(`"]" at position ${position} has no opening "[".`);
    }
  }
  return problems;
}

function forbiddenCharacterProblems(characters: string[]): string[] {
  const positions = new Map<string, number[]>();
  characters.forEach((character, index) => {
    if (!(FORBIDDEN_CHARACTERS as readonly string[]).includes(character)) return;
    positions.set(character, [...(positions.get(character) ?? []), index + 1]);
  });
  return [...positions].map(([character, at]) => {
    const where = positionsAre(at);
    return character === ' '
      ? `${at.length === 1 ? 'The space' : 'The spaces'} at ${where} not allowed.`
      : `"${character}" at ${where} not allowed.`;
  });
}

/** "position 3 is" or "positions 3, 9 are", so each message reads as one sentence. */
function positionsAre(at: number[]): string {
  return at.length === 1 ? `position ${at[0]} is` : `positions ${at.join(', ')} are`;
}

// Whitespace other than the plain space, which has its own message above. Zero-width space is
// not \s but is just as invisible in a key.
const WHITESPACE = /[^\S ]|\u200b/u;
const WHITESPACE_NAMES: Readonly<Record<string, readonly [one: string, many: string]>> = {
  '\t': ['tab', 'tabs'],
  '\n': ['line break', 'line breaks'],
  '\r': ['line break', 'line breaks'],
  '\u00a0': ['no-break space', 'no-break spaces'],
  '\u200b': ['zero-width space', 'zero-width spaces'],
};

function whitespaceName(character: string): readonly [string, string] {
  const code = `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  return WHITESPACE_NAMES[character] ?? [`Unicode space ${code}`, `Unicode spaces ${code}`];
}

function whitespaceProblems(characters: string[]): string[] {
  const positions = new Map<string, { name: readonly [string, string]; at: number[] }>();
  characters.forEach((character, index) => {
    if (!WHITESPACE.test(character)) return;
    const name = whitespaceName(character);
    const entry = positions.get(name[0]) ?? { name, at: [] };
    entry.at.push(index + 1);
    positions.set(name[0], entry);
  });
  return [...positions.values()].map(
    ({ name, at }) =>
      `The ${name[at.length === 1 ? 0 : 1]} at ${positionsAre(at)} not allowed: keys cannot contain whitespace.`,
  );
}

function slackUnsafeCharacterProblems(characters: string[]): string[] {
  const found = [...new Set(characters)].filter((character) =>
    (SLACK_UNSAFE_CHARACTERS as readonly string[]).includes(character),
  );
  if (found.length === 0) return [];
  return [
    found.length === 1
      ? `The character ${found[0]} is not allowed: Amazon S3 advises against it in keys, and it breaks Slack formatting.`
      : `The characters ${found.join(' ')} are not allowed: Amazon S3 advises against them in keys, and they break Slack formatting.`,
  ];
}

function pathProblems(template: string): string[] {
  const problems: string[] = [];
  if (template.startsWith('/')) {
    problems.push('Remove the leading "/": it would put every key under a folder with no name.');
  }
  const emptySegments = [...template.matchAll(/\/{2,}/g)].map(
    (match) => [...template.slice(0, match.index)].length + 1,
  );
  if (emptySegments.length > 0) {
    problems.push(
      `"//" at ${positionsAre(emptySegments)} not allowed: it makes a folder with no name. Use a single "/".`,
    );
  }
  const ending = FORMAT_ENDINGS.find((extension) => template.toLowerCase().endsWith(extension));
  if (ending) {
    problems.push(
      `Remove "${template.slice(-ending.length)}" from the end: the extension is added by the format.`,
    );
  }
  return problems;
}

/** The object key one load writes: elements filled in (dates in UTC) and the format's extension. */
export function renderKey(template: string, format: OutputFormat, values: LoadValues): string {
  const loaded = new Date(values.timestampLoaded);
  const elementValues: Record<ElementName, string> = {
    integration_name: values.integrationName,
    table_name: values.tableName,
    table_version: String(values.tableVersion),
    timestamp_loaded: String(values.timestampLoaded),
    year_loaded: String(loaded.getUTCFullYear()),
    month_loaded: twoDigits(loaded.getUTCMonth() + 1),
    day_loaded: twoDigits(loaded.getUTCDate()),
    hour_loaded: twoDigits(loaded.getUTCHours()),
  };
  // Unknown elements are kept verbatim: rendering never hides them, validation rejects them.
  const key = parseKeyTemplate(template)
    .map((part) => {
      if (part.kind === 'text') return part.text;
      if (part.kind === 'element') return elementValues[part.name];
      return `[${part.name}]`;
    })
    .join('');
  return key + FORMAT_EXTENSIONS[format];
}

/** The key the sample load would get, as shown under the template in the setup modal. */
export function previewKey(template: string, format: OutputFormat): string {
  return renderKey(template, format, SAMPLE_LOAD_VALUES);
}

function twoDigits(value: number): string {
  return String(value).padStart(2, '0');
}
