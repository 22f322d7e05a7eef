import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** The repository's root: links are resolved inside it. */
export const REPO_ROOT = resolve(__dirname, '..', '..');

/** A link written in a markdown file: where it points, and on which line. */
export interface MarkdownLink {
  readonly target: string;
  readonly line: number;
}

/** The markdown a newcomer reads: the README, docs/ and the examples' READMEs. */
export function markdownFiles(root = REPO_ROOT): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  const examples = readdirSync(join(root, 'examples'))
    .map((name) => `examples/${name}/README.md`)
    .filter((path) => existsSync(join(root, path)));
  return ['README.md', ...docs.sort(), ...examples.sort()];
}

/** The text with fenced code blocks blanked (line numbers kept) and inline code spans removed. */
function proseOf(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (fence !== undefined) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) {
        fence = undefined;
      }
      return '';
    }
    if (marker !== undefined) {
      fence = marker;
      return '';
    }
    return line.replace(/(`+)[^`]*?\1/g, '');
  });
}

/** Every inline link and image target (`[text](target)`), outside code. */
export function linksIn(markdown: string): MarkdownLink[] {
  return proseOf(markdown).flatMap((line, index) =>
    [...line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => ({
      target: match[1],
      line: index + 1,
    })),
  );
}

/**
 * The anchor GitHub gives a heading: its text as rendered (links become their text, code and
 * emphasis lose their marks), lower-cased, every character but letters, digits, marks, `_`, `-`
 * and spaces dropped, each space a `-`; a repeated anchor gets `-1`, `-2`, … in order.
 */
export function headingAnchors(markdown: string): string[] {
  const seen = new Map<string, number>();
  const anchors: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const marker = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (fence !== undefined) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) {
        fence = undefined;
      }
      continue;
    }
    if (marker !== undefined) {
      fence = marker;
      continue;
    }
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.push(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

function slug(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`/g, '')
    .replace(/\*/g, '');
  return rendered
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}_\- ]/gu, '')
    .replace(/ /g, '-');
}

/** What is wrong with `link`, written in `file` (relative to the root), or undefined. */
export function brokenLink(
  file: string,
  link: MarkdownLink,
  mayBeMissing: ReadonlySet<string> = new Set(),
  root = REPO_ROOT,
): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) return undefined;
  const [path, anchor] = link.target.split('#', 2);
  const resolved = path === '' ? join(root, file) : resolve(dirname(join(root, file)), path);
  const inRepo = relative(root, resolved);
  const where = `${file}:${link.line}: ${link.target}`;
  if (inRepo.startsWith('..')) return `${where} leaves the repository`;
  if (!existsSync(resolved)) {
    return mayBeMissing.has(inRepo) && anchor === undefined ? undefined : `${where}: no such file`;
  }
  if (anchor === undefined || anchor === '') return undefined;
  if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) {
    return `${where}: an anchor into something that is not markdown`;
  }
  const anchors = headingAnchors(readFileSync(resolved, 'utf8'));
  return anchors.includes(decodeURIComponent(anchor))
    ? undefined
    : `${where}: no heading of ${inRepo} has the anchor #${anchor}`;
}
