import type { types } from '@slack/bolt';

/** A message as the view builders make it: the notification text and its Block Kit blocks. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: types.KnownBlock[];
}
