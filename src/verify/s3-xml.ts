// Just enough XML for S3's small answers read without the SDK (a one-key listing, an error body):
// elements by name, their text, and the five entities and character references S3 escapes with.

/**
 * The inner text of every `<tag>…</tag>` in `xml`, in order (`<tag/>` is the empty text), read in
 * one pass: each search starts where the last one ended, so a hostile answer costs its length,
 * never its square. Undefined when a `<tag` is left unfinished (no `>`, a `<` inside it, or no
 * `</tag>`): no XML writer sends that. Nested same-name tags are not expected.
 */
export function xmlElements(xml: string, tag: string): string[] | undefined {
  const found: string[] = [];
  const opening = `<${tag}`;
  const closing = `</${tag}>`;
  let at = xml.indexOf(opening);
  while (at !== -1) {
    const nameEnd = at + opening.length;
    if (!endsName(xml.charAt(nameEnd))) {
      at = xml.indexOf(opening, nameEnd); // another tag whose name starts with this one
      continue;
    }
    const tagEnd = xml.indexOf('>', nameEnd);
    if (tagEnd === -1 || xml.lastIndexOf('<', tagEnd) !== at) return undefined;
    if (xml.charAt(tagEnd - 1) === '/') {
      found.push('');
      at = xml.indexOf(opening, tagEnd + 1);
      continue;
    }
    const end = xml.indexOf(closing, tagEnd + 1);
    if (end === -1) return undefined;
    found.push(xml.slice(tagEnd + 1, end));
    at = xml.indexOf(opening, end + closing.length);
  }
  return found;
}

/** Whether `char`, right after `<tag`, ends the tag's name (else it is a longer name). */
function endsName(char: string): boolean {
  return (
    char === '>' || char === '/' || char === ' ' || char === '\t' || char === '\n' || char === '\r'
  );
}

/** The raw text of the first `<tag>` in `xml`, or undefined; `<tag/>` is the empty text. */
export function xmlText(xml: string, tag: string): string | undefined {
  return xmlElements(xml, tag)?.[0];
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

/** Text with its entities and character references replaced by what they stand for. */
export function decodeXml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return codePoint(Number.parseInt(name.slice(2), 16), whole);
    if (name.startsWith('#')) return codePoint(Number.parseInt(name.slice(1), 10), whole);
    return ENTITIES[name] ?? whole;
  });
}

function codePoint(value: number, whole: string): string {
  return Number.isInteger(value) && value >= 0 && value <= 0x10ffff
    ? String.fromCodePoint(value)
    : whole;
}

/**
 * S3's error answer as the SDK throws it: named by its `Code`, with its status in `$metadata`, the
 * raw answer as a non-enumerable `$response` (its headers name the bucket's region), and the
 * body's `Region` and `Endpoint` when a wrong-region answer gives them.
 */
export function s3ErrorOf(
  statusCode: number,
  headers: Record<string, string | undefined>,
  body: string,
): Error {
  const error = xmlElements(body, 'Error')?.[0] ?? '';
  const field = (tag: string) => {
    const text = xmlText(error, tag);
    return text === undefined ? undefined : decodeXml(text).trim();
  };
  // As the SDK names an error without a code (a HEAD's has no body): NotFound for a 404.
  const code = field('Code') || (statusCode === 404 ? 'NotFound' : 'Unknown');
  const failure = new Error(field('Message') || `S3 answered HTTP ${statusCode}`);
  failure.name = code;
  const requestId = headers['x-amz-request-id'];
  Object.assign(failure, {
    $fault: statusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: statusCode, ...(requestId ? { requestId } : {}) },
  });
  Object.defineProperty(failure, '$response', {
    value: { statusCode, headers, body },
    enumerable: false,
  });
  for (const extra of ['Region', 'Endpoint', 'BucketName']) {
    const value = field(extra);
    if (value !== undefined) Object.assign(failure, { [extra]: value });
  }
  return failure;
}
