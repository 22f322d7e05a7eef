import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Installation, InstallURLOptions } from '@slack/bolt';

/** What every page of the install flow says it is. */
const APP_NAME = 'S3 Destination';

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · ${APP_NAME}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1d1c1d}a.button{display:inline-block;padding:.6rem 1rem;border-radius:.3rem;background:#4a154b;color:#fff;text-decoration:none}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>
`;
}

function send(res: ServerResponse, status: number, html: string): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(html);
}

/** `GET /slack/install`: the "Add to Slack" page, its link carrying the state Bolt just made. */
export function installPage(url: string): string {
  return page(
    `Add ${APP_NAME} to Slack`,
    `<p>${APP_NAME} lets your data team connect an Amazon S3 bucket as a load destination from Slack.</p>
<p><a class="button" href="${escapeHtml(url)}">Add to Slack</a></p>
<p>Slack will ask you to pick a workspace and approve the app's permissions; you then come back here.</p>`,
  );
}

/** Where the install came back to after Slack stored it. */
export function installSucceeded(
  installation: Installation,
  _options: InstallURLOptions,
  _req: IncomingMessage,
  res: ServerResponse,
): void {
  const where = installation.isEnterpriseInstall
    ? (installation.enterprise?.name ?? 'your organization')
    : (installation.team?.name ?? 'your workspace');
  send(
    res,
    200,
    page(
      `${APP_NAME} is installed`,
      `<p>${APP_NAME} is now installed in <strong>${escapeHtml(where)}</strong>.</p>
<p>In Slack, type <code>/s3-destination setup</code> in a channel to connect a bucket, or <code>/s3-destination help</code> to see what it can do. You can close this page.</p>`,
    ),
  );
}

/** What went wrong, in words, and the status to answer with: never a 5xx, since nothing crashed. */
function describeFailure(error: { code?: string; message?: string; data?: { error?: string } }): {
  status: number;
  title: string;
  text: string;
} {
  const retry = '<p><a href="/slack/install">Start the installation again</a>.</p>';
  switch (error.code) {
    case 'slack_oauth_installer_authorization_error':
      return {
        status: 200,
        title: 'Installation cancelled',
        text: `<p>You did not allow ${APP_NAME} in your workspace, so nothing was installed.</p>${retry}`,
      };
    case 'slack_oauth_invalid_state':
    case 'slack_oauth_missing_state':
      return {
        status: 400,
        title: 'This installation link has expired',
        text: `<p>The link that brought you here is expired, was already used, was opened in another browser, or was not made by this app, so nothing was installed. Installation links last 10 minutes and work once, in the browser that opened them.</p>${retry}`,
      };
    case 'slack_oauth_missing_code':
      return {
        status: 400,
        title: 'Slack sent no authorization',
        text: `<p>Slack came back here without an authorization code, so nothing was installed.</p>${retry}`,
      };
    default: {
      const slackError = error.data?.error;
      return {
        status: 400,
        title: 'Slack did not complete the installation',
        text: `<p>${
          slackError
            ? `Slack answered <code>${escapeHtml(slackError)}</code> when the app asked for its access token`
            : 'The installation could not be completed'
        }, so nothing was installed. This is usually temporary.</p>${retry}`,
      };
    }
  }
}

/** Every failure of the callback: a page that says what happened and how to retry. */
export function installFailed(
  error: { code?: string; message?: string; data?: { error?: string } },
  _options: InstallURLOptions,
  _req: IncomingMessage,
  res: ServerResponse,
): void {
  const { status, title, text } = describeFailure(error);
  send(res, status, page(title, text));
}

/** The store cannot keep the install's state right now: say so before sending anyone to Slack. */
export function installUnavailable(res: ServerResponse): void {
  res.setHeader('retry-after', '30');
  send(
    res,
    503,
    page(
      'Installation unavailable for a moment',
      '<p>The app cannot reach its storage right now, so it cannot start an installation. Please try again in a minute.</p><p><a href="/slack/install">Try again</a>.</p>',
    ),
  );
}
