import type { SlackStandIn, StandInWorkspace } from './slack-stand-in';

/** `GET /slack/install` under `base`: the page, its Slack link's state and the state cookie. */
export async function beginInstall(base: string) {
  const response = await fetch(`${base}/slack/install`);
  const page = await response.text();
  const href = /href="([^"]+)"/.exec(page)?.[1]?.replace(/&amp;/g, '&');
  const state = href ? new URL(href).searchParams.get('state') : null;
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0];
  return { response, page, href, state, cookie };
}

/** Slack sends the browser back to `/slack/oauth_redirect` under `base` with these parameters. */
export function finishInstall(base: string, params: Record<string, string>, cookie: string) {
  return fetch(`${base}/slack/oauth_redirect?${new URLSearchParams(params).toString()}`, {
    headers: cookie ? { cookie } : {},
    redirect: 'manual',
  });
}

/** The whole install of `workspace` through the install pages under `base`. */
export async function installThrough(
  base: string,
  slack: SlackStandIn,
  workspace: StandInWorkspace,
) {
  const begun = await beginInstall(base);
  if (!begun.state) throw new Error('the install page has no Slack link with a state');
  const code = slack.oauth.issueCode(workspace);
  const finished = await finishInstall(base, { code, state: begun.state }, begun.cookie);
  return { status: finished.status, page: await finished.text() };
}
