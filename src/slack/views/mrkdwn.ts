/**
 * Makes user text inert in mrkdwn, whole and unclipped: `&`, `<` and `>` become entities, so no
 * link, mention or date token can form. Slack parses `<...>` inside code spans too.
 */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Makes user-typed text safe inside mrkdwn: no mentions, links or broken code spans. */
export function escapeMrkdwn(text: string, maxLength = 80): string {
  // Clipped by characters, so that an emoji is never cut in half.
  const characters = [...text];
  const clipped =
    characters.length > maxLength ? `${characters.slice(0, maxLength).join('')}…` : text;
  return escapeText(clipped).replace(/`/g, "'");
}

/** User text shown whole as inline code: escaped, with backticks replaced so the span holds. */
export function inlineCode(text: string): string {
  return `\`${escapeMrkdwn(text, Infinity)}\``;
}

/** A Slack date token that renders in each reader's time zone, with the ISO text as fallback. */
export function slackDate(iso: string): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  if (!Number.isFinite(seconds)) return iso;
  return `<!date^${seconds}^{date_short_pretty} at {time}|${iso}>`;
}
