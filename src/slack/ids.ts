/** The slash command this app answers. */
export const COMMAND = '/s3-destination';

/** callback_id of the setup modal. */
export const SETUP_CALLBACK_ID = 's3_destination_setup';

/** callback_id of the view that asks to confirm setting up a connected bucket again. */
export const RESETUP_CALLBACK_ID = 's3_destination_resetup';

/**
 * block_id = action_id of every setup modal input. These are the ETL tool's own property names,
 * and outside tooling relies on them: never rename.
 */
export const FIELD = {
  bucket: 's3_bucket',
  region: 'region',
  format: 'output_file_format',
  csvDelimiter: 'csv_delimiter',
  csvForceQuote: 'csv_force_quote',
  keyTemplate: 's3_key_format_string',
  /** How the bucket is reached: `bucket_policy` (the default) or `iam_role`. */
  accessType: 'access_type',
  /** The role's ARN; shown only while `iam_role` is selected. */
  roleArn: 'role_arn',
} as const;
export type FieldId = (typeof FIELD)[keyof typeof FIELD];

/** The value of the "Quote all elements" checkbox option. */
export const FORCE_QUOTE_OPTION = 'force_quote';

/** action_ids of buttons. */
export const ACTION = {
  checkAndSave: 'check_and_save',
  confirmRemove: 'confirm_remove',
  cancelRemove: 'cancel_remove',
  /** In a failed check's result: switch the setup to the bucket's real region and check again. */
  useBucketRegion: 'use_bucket_region',
  /** The Previous / Next buttons of `list`; value = the page to show. */
  listPage: 'list_page',
  /** App Home: open the setup modal. */
  homeSetup: 'home_setup',
  /** App Home: check a saved destination again, as `verify <bucket>` does; value = bucket. */
  homeVerify: 'home_verify',
  /** App Home: remove a saved destination, after Slack's confirm dialog; value = bucket. */
  homeRemove: 'home_remove',
  /** App Home: the Previous / Next buttons; value = the page to show. */
  homePage: 'home_page',
  /** App Home, admins only (OAuth mode): the people picker of the added admins. */
  homeAdmins: 'home_admins',
} as const;

/**
 * callback_id of the Workflow Builder step "Check an S3 destination": the key of its definition
 * under `functions` in manifest.yml. Workflows in use name it: never rename.
 */
export const CHECK_STEP_CALLBACK_ID = 'check_s3_destination';

/** callback_id of the App Home view. */
export const HOME_CALLBACK_ID = 's3_destination_home';
