/** Every `text` string anywhere in a Slack message or view, joined: what a reader of it sees. */
export function visibleText(message: unknown): string {
  return textsOf(message).join('\n');
}

function textsOf(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [];
  if (Array.isArray(value)) return value.flatMap(textsOf);
  return Object.entries(value).flatMap(([key, inner]) =>
    key === 'text' && typeof inner === 'string' ? [inner] : textsOf(inner),
  );
}
