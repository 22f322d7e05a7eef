// Just enough XML for S3's small answers read without the SDK (a one-key listing, an error body):
// elements by name, their text, and the five entities and character references S3 escapes with.

/** The inner text of every `<tag>…</tag>` in `xml`, in order; nested same-name tags are not expected. */
export function xmlElements(xml: string, tag: string): string[] {
  const found: string[] = [];
  const open = new RegExp(`<${tag}(?:\\s[^>]*)?>`, 'g');
  const close = `</${tag}>`;
  for (let match = open.exec(xml); match !== null; match = open.exec(xml)) {
    const start = match.index + match[0].length;
    const end = xml.indexOf(close, start);
    if (end === -1) break;
    found.push(xml.slice(start, end));
    open.lastIndex = end + close.length;
  }
  return found;
}

/** The raw text of the first `<tag>` in `xml`, or undefined; `<tag/>` is the empty text. */
export function xmlText(xml: string, tag: string): string | undefined {
  const [first] = xmlElements(xml, tag);
  if (first !== undefined) return first;
  return new RegExp(`<${tag}\\s*/>`).test(xml) ? '' : undefined;
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
  const error = xmlElements(body, 'Error')[0] ?? '';
  const field = (tag: string) => {
    const text = xmlText(error, tag);
    return text === undefined ? undefined : decodeXml(text).trim();
  };
  const code = field('Code');
  const failure = new Error(field('Message') || `S3 answered HTTP ${statusCode}`);
  failure.name = code || 'Unknown';
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
