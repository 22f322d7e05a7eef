import { createHmac } from 'node:crypto';

/** The headers Slack sends with a request body: v0 HMAC-SHA256 over `v0:<timestamp>:<body>`. */
export function slackSignatureHeaders(
  body: string,
  signingSecret: string,
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const signature = createHmac('sha256', signingSecret)
    .update(`v0:${timestamp}:${body}`)
    .digest('hex');
  return {
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': `v0=${signature}`,
  };
}
