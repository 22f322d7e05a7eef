/**
 * The bot scopes the app asks for on install: `oauth_config.scopes.bot` of manifest.yml.
 * `users:read`: whether a person is a workspace owner or admin (`users.info`).
 */
export const BOT_SCOPES = ['commands', 'chat:write', 'chat:write.public', 'users:read'] as const;
