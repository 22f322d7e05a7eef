import ngrok from '@ngrok/ngrok';
import { ConfigError } from './config';
import { runFromEnvironment } from './index';

/**
 * `npm run dev:tunnel`: the bot in HTTP mode plus an ngrok tunnel to it, printing the Request URL
 * to paste into the Slack app's settings. Without a tunnel the bot keeps serving locally.
 */
runFromEnvironment(
  (config) => {
    if (!config.SLACK_SIGNING_SECRET) {
      throw new ConfigError([
        'SLACK_SIGNING_SECRET is required: dev:tunnel runs the bot in HTTP mode',
      ]);
    }
    return { ...config, SLACK_APP_TOKEN: undefined };
  },
  async (bot, config) => {
    if (!config.NGROK_AUTHTOKEN) {
      bot.logger.warn(
        'NGROK_AUTHTOKEN is not set, so no tunnel was opened; the bot serves on localhost only. Get a token at dashboard.ngrok.com.',
      );
      return;
    }
    try {
      const listener = await ngrok.forward({ addr: bot.port, authtoken: config.NGROK_AUTHTOKEN });
      const requestUrl = `${listener.url()}/slack/events`;
      bot.logger.info({ requestUrl }, 'tunnel open');
      process.stdout.write(
        `\nRequest URL: ${requestUrl}\nPaste it under Slash Commands (/s3-destination) and Interactivity & Shortcuts in your app's settings.\n\n`,
      );
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      bot.logger.error(
        { reason },
        'the ngrok tunnel could not open; the bot keeps serving on localhost',
      );
    }
  },
);
