/** The bot scopes the app asks for on install: `oauth_config.scopes.bot` of manifest.yml. */
export const BOT_SCOPES = ['commands', 'chat:write', 'chat:write.public'] as const;
