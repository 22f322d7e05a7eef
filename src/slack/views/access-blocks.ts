import type { types } from '@slack/bolt';
import { ACCESS_TYPES, ACCESS_TYPE_LABELS, type AccessType } from '../../domain/access';
import { FIELD } from '../ids';
import type { SetupDraft } from '../setup-draft';

const text = (value: string): types.PlainTextElement => ({ type: 'plain_text', text: value });

const DESCRIPTIONS: Readonly<Record<AccessType, string>> = {
  bucket_policy: 'Add our two statements to the bucket’s policy. Quickest.',
  iam_role:
    'Create a role our loader assumes with an ExternalId of this destination. Your bucket policy stays untouched.',
};

const accessOption = (type: AccessType): types.PlainTextOption => ({
  text: text(ACCESS_TYPE_LABELS[type]),
  value: type,
  description: text(DESCRIPTIONS[type]),
});

/**
 * The setup modal's access choice: a radio that dispatches an action (the modal is rebuilt), and
 * the role ARN input only while `iam_role` is selected, starting from what was typed.
 */
export function accessBlocks(draft: SetupDraft): types.KnownBlock[] {
  const chosen = draft.accessType ?? 'bucket_policy';
  const blocks: types.KnownBlock[] = [
    {
      type: 'input',
      block_id: FIELD.accessType,
      label: text('Access to the bucket'),
      dispatch_action: true,
      element: {
        type: 'radio_buttons',
        action_id: FIELD.accessType,
        options: ACCESS_TYPES.map(accessOption),
        initial_option: accessOption(chosen),
      },
    },
  ];
  if (chosen === 'iam_role') {
    blocks.push({
      type: 'input',
      block_id: FIELD.roleArn,
      label: text('Role ARN'),
      hint: text(
        'The role in the bucket’s account that our loader will assume; create it in the next step if it does not exist yet (its trust and permissions policies come with the instructions).',
      ),
      element: {
        type: 'plain_text_input',
        action_id: FIELD.roleArn,
        placeholder: text('arn:aws:iam::123456789012:role/s3-destination'),
        max_length: 2048,
        ...(draft.roleArn ? { initial_value: draft.roleArn } : {}),
      },
    });
  }
  return blocks;
}
