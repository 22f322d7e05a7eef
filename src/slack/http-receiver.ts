import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InstallerSettings } from './oauth/install';
import { HTTPModuleFunctions, HTTPReceiver, type CustomRoute, type Logger } from '@slack/bolt';

/** Where Slack posts commands and interactions. */
export const SLACK_EVENTS_PATH = '/slack/events';

/** How far a request's timestamp may be from now, either way: Slack's five minutes. */
const SIGNATURE_WINDOW_SECONDS = 300;

export interface HttpReceiverOptions {
  readonly signingSecret: string;
  readonly customRoutes: CustomRoute[];
  readonly logger: Logger;
  /** Many workspaces: Bolt serves `/slack/install` and `/slack/oauth_redirect` with these. */
  readonly oauth?: InstallerSettings;
}

/**
 * Bolt's HTTP receiver, answering 400 to a signed request whose body it cannot read. Slack never
 * sends one, but Bolt itself would answer 500 (a payload without `user` or `view`), or, for a payload
 * of `null`, never answer at all and leave a rejected promise unhandled. Every request to the
 * events path is verified here, before Bolt sees it, and only here: Bolt verifying it again cost
 * a second HMAC and a second parse of the body on every request.
 */
export function createHttpReceiver(options: HttpReceiverOptions): HTTPReceiver {
  const receiver = new HTTPReceiver({
    signingSecret: options.signingSecret,
    endpoints: SLACK_EVENTS_PATH,
    customRoutes: options.customRoutes,
    logger: options.logger,
    // requestListener below verifies each request to the events path before handing it on.
    signatureVerification: false,
    ...options.oauth,
    // Listener errors go to app.error; what reaches this handler is Bolt failing to read the body.
    processEventErrorHandler: async ({ error, logger, response }) => {
      if (response.headersSent) {
        logger.error(`A Slack request failed after it was acknowledged: ${error.message}`);
        return false;
      }
      logger.warn(`Refused a Slack request that could not be read: ${error.message}`);
      answer(response, 400);
      return true;
    },
  });

  const boltListener = receiver.requestListener;
  receiver.requestListener = (req, res) => {
    if (req.method !== 'POST' || pathOf(req) !== SLACK_EVENTS_PATH) return boltListener(req, res);
    refuseUnreadableBody(req, res, options)
      .then((refused) => {
        if (!refused) boltListener(req, res);
      })
      .catch(() => answer(res, 400));
  };
  return receiver;
}

/**
 * Reads and verifies the body ahead of Bolt (which reuses what was read), answers 401 to a request
 * that is not Slack's or is dated outside the five minutes either side of now, and answers for the
 * cases Bolt mishandles; true when it answered.
 */
async function refuseUnreadableBody(
  req: IncomingMessage,
  res: ServerResponse,
  options: HttpReceiverOptions,
): Promise<boolean> {
  if (datedAhead(req)) {
    // Bolt's check refuses only stale timestamps; one from the future is replayable until then.
    options.logger.warn('Refused a Slack request dated more than five minutes ahead');
    answer(res, 401);
    return true;
  }
  let buffered;
  try {
    buffered = await HTTPModuleFunctions.parseAndVerifyHTTPRequest(
      { signingSecret: options.signingSecret, bodyLimit: HTTPModuleFunctions.defaultBodyLimit },
      req,
    );
  } catch (error) {
    if (HTTPModuleFunctions.isBufferedIncomingMessage(req)) {
      // Read, but not signed by Slack (or signed too long ago): what Bolt answers and says.
      const reason = error instanceof Error ? error.message : String(error);
      options.logger.warn(`Failed to parse and verify the request data: ${reason}`);
      answer(res, 401);
      return true;
    }
    // The body could not be read at all, so Bolt could not read it either.
    const tooLarge =
      HTTPModuleFunctions.isRawBodyError(error) &&
      (error.type === 'entity.too.large' || error.statusCode === 413);
    answer(res, tooLarge ? 413 : 400);
    return true;
  }
  // A form without a payload (a slash command) is an object whatever it holds: no need to parse
  // it here as well as in Bolt.
  const form = req.headers['content-type'] === 'application/x-www-form-urlencoded';
  if (form && !buffered.rawBody.includes('payload')) return false;
  let body: unknown;
  try {
    body = HTTPModuleFunctions.parseHTTPRequestBody(buffered);
  } catch {
    return false; // Bolt answers 400 for a body that is not JSON or a form.
  }
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) return false;
  options.logger.warn('Refused a Slack request whose body is not an object');
  answer(res, 400);
  return true;
}

/** Whether the request says it was signed more than the signature window from now. */
function datedAhead(req: IncomingMessage): boolean {
  const at = Number(req.headers['x-slack-request-timestamp']);
  return Number.isFinite(at) && at > Date.now() / 1000 + SIGNATURE_WINDOW_SECONDS;
}

function pathOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://localhost').pathname;
}

function answer(res: ServerResponse, status: number): void {
  if (res.headersSent) return;
  res.writeHead(status);
  res.end();
}
