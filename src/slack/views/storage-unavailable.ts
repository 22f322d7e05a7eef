import type { types } from '@slack/bolt';

/**
 * Pushed on top of the setup modal when the session cannot be stored: closing it returns the user
 * to their filled-in form, so nothing they typed is lost.
 */
export function buildStorageUnavailableView(): types.ModalView {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: 'Not saved yet' },
    close: { type: 'plain_text', text: 'Back to the form' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: ":warning: The bot's storage is not answering right now, so your setup was not saved. Nothing was half-saved.\n\nGo *Back to the form* (your input is still there) and press *Continue* again in a minute.",
        },
      },
    ],
  };
}
