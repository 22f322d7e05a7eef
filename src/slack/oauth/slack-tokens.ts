import { webApi } from '@slack/bolt';
import { IncompleteAnswerError } from '../../errors';
import type { Logger } from '../../log/logger';
import { toSlackLogger } from '../../log/logger';
import type { TokenCheck, TokenRefresher } from '../../store/installations';
import { slackErrorCode } from '../messaging';
import type { OAuthCredentials } from './install';

// Slack's side of a workspace's tokens: the refresh grant a rotating token is renewed with, and
// Slack's word on whether a token still works.

/** `oauth.v2.access` with a refresh grant, at the Web API base. */
export function slackTokenRefresher(
  credentials: OAuthCredentials,
  apiUrl: string | undefined,
  logger: Logger,
): TokenRefresher {
  const slack = new webApi.WebClient(undefined, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    // A refresh token works once: a retry after a lost answer would only be refused.
    retryConfig: { retries: 0 },
    timeout: 5000,
    logger: toSlackLogger(logger),
  });
  return async (refreshToken) => {
    const answer = await slack.oauth.v2.access({
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    });
    if (!answer.access_token || !answer.refresh_token || answer.expires_in === undefined) {
      throw new IncompleteAnswerError(
        'oauth.v2.access answered a refresh without a token, refresh token or expiry',
      );
    }
    return {
      accessToken: answer.access_token,
      refreshToken: answer.refresh_token,
      expiresInSeconds: answer.expires_in,
    };
  };
}

/** The errors of `auth.test` that say a token does not work (any other: Slack could not say). */
const REFUSED_TOKEN_ERRORS = new Set([
  'token_revoked',
  'invalid_auth',
  'account_inactive',
  'token_expired',
  'not_authed',
]);

/** `auth.test` with a token, at the Web API base: whether Slack still accepts it. */
export function slackTokenCheck(apiUrl: string | undefined, logger: Logger): TokenCheck {
  const slack = new webApi.WebClient(undefined, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    retryConfig: { retries: 2, factor: 1, minTimeout: 500, maxTimeout: 500 },
    timeout: 5000,
    logger: toSlackLogger(logger),
  });
  return async (token) => {
    try {
      await slack.auth.test({ token });
      return 'works';
    } catch (error) {
      const code = slackErrorCode(error);
      return code !== undefined && REFUSED_TOKEN_ERRORS.has(code) ? 'refused' : 'unknown';
    }
  };
}
