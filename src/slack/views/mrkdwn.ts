/** Makes user-typed text safe inside mrkdwn: no mentions, links or broken code spans. */
export function escapeMrkdwn(text: string, maxLength = 80): string {
  const clipped = text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
  return clipped
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/`/g, "'");
}

/** A Slack date token that renders in each reader's time zone, with the ISO text as fallback. */
export function slackDate(iso: string): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  if (!Number.isFinite(seconds)) return iso;
  return `<!date^${seconds}^{date_short_pretty} at {time}|${iso}>`;
}
