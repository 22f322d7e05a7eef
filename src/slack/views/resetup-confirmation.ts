import type { types } from '@slack/bolt';
import { z } from 'zod';
import { destinationSettingsSchema, type DestinationSettings } from '../../domain/destination';
import type { SavedDestination } from '../../store/types';
import { RESETUP_CALLBACK_ID } from '../ids';
import { setupMetadataSchema, type SetupMetadata } from '../metadata';
import { settingsFields } from './check-result';
import { inlineCode, slackDate } from './mrkdwn';

/** What the confirmation carries in `private_metadata`: where setup started, and what was entered. */
export const resetupMetadataSchema = setupMetadataSchema.extend({
  settings: destinationSettingsSchema,
});
export type ResetupMetadata = z.infer<typeof resetupMetadataSchema>;

/** Parses the confirmation's private_metadata; undefined when it is missing or not ours. */
export function parseResetupMetadata(raw: string | undefined): ResetupMetadata | undefined {
  try {
    const parsed = resetupMetadataSchema.safeParse(JSON.parse(raw ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const text = (value: string): types.PlainTextElement => ({ type: 'plain_text', text: value });
const section = (value: string): types.KnownBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: value },
});

/**
 * Pushed on top of the setup modal when its bucket is connected already: what is saved, what this
 * setup would change, and that the saved destination stays until the new Check and Save passes.
 * *Back* returns to the filled-in form; *Set up again* starts the setup.
 */
export function buildResetupConfirmation(
  metadata: SetupMetadata,
  settings: DestinationSettings,
  connected: SavedDestination,
): types.ModalView {
  const bucket = inlineCode(settings.bucket);
  const since = connected.connectedAt ?? connected.verifiedAt;
  return {
    type: 'modal',
    callback_id: RESETUP_CALLBACK_ID,
    title: text('Set up again?'),
    submit: text('Set up again'),
    close: text('Back'),
    private_metadata: JSON.stringify({ ...metadata, settings } satisfies ResetupMetadata),
    blocks: [
      section(
        `:arrows_counterclockwise: ${bucket} is already connected in this workspace, by <@${connected.connectedBy}> on ${slackDate(since)}.`,
      ),
      section('*Saved now*'),
      { type: 'section', fields: settingsFields(connected.settings) },
      section('*This setup*'),
      { type: 'section', fields: settingsFields(settings) },
      section(
        'Setting it up again gives you a new challenge file and the bucket policy steps. ' +
          `The saved destination stays in force until this setup’s *Check and Save* passes; then this setup replaces it, and the channel is told. Until then nothing changes for ${bucket}.`,
      ),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: 'Lost the challenge file name? This is the way back: set up again, and upload the new file.',
          },
        ],
      },
    ],
  };
}
