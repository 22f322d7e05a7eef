import type { Access } from '../domain/access';
import { explainAccess } from './explain-access';
import { WRITE_CHECK_KEY, type CheckName, type CheckOutcome } from './report';

/** The reference product's own words for a missing challenge file, kept exactly. */
export const CHALLENGE_NOT_FOUND_TEXT =
  'An error occurred (404) when calling the HeadObject operation: Not Found';

export interface ExplainContext {
  readonly bucket: string;
  /** The region chosen in setup. */
  readonly region: string;
  /** The region S3 says the bucket is in, when known. */
  readonly actualRegion?: string;
  /** S3's error code and HTTP status, from the classification. */
  readonly detail?: string;
  /** The principal of the bucket's partition: the one to grant in a KMS key policy. */
  readonly principalArn?: string;
  /** For `not_run`: what had to pass first (the challenge file, unless said otherwise). */
  readonly waitedFor?: 'access' | 'challenge' | 'write' | 'owner';
  /** How the bucket is reached; absent: the bucket policy. Role access words the fixes for the role. */
  readonly access?: Access;
}

export { isOperatorFault, isTransient } from './report';

/** What the user is told about one check: the problem in plain words, then the fix. */
export function explainCheck(
  check: CheckName,
  outcome: CheckOutcome,
  context: ExplainContext,
): string {
  const bucket = `\`${context.bucket}\``;
  const code = context.detail ? ` (${context.detail})` : '';
  if (check === 'access') return explainAccess(outcome, context);
  const roleArn = context.access?.type === 'iam_role' ? context.access.roleArn : undefined;
  switch (outcome) {
    case 'ok':
      return OK_TEXT[check](context);
    case 'skipped':
      return SKIPPED_TEXT[check](context);
    case 'not_run':
      if (context.waitedFor === 'access') {
        return 'Not checked: the bot must first assume the role, so that it checks what the role may do.\nFix the role, then check again.';
      }
      if (context.waitedFor === 'owner') {
        return 'Not checked: the listing must first confirm that the bucket still has the owner it had when it was saved, so that nothing is written into a bucket that changed hands.\nFix what failed above, then check again.';
      }
      return context.waitedFor === 'write'
        ? 'Not checked: comparing owners needs the listing and the write check to pass first.\nFix what failed above, then check again.'
        : 'Not checked: the challenge file must pass first, so that nothing is written into a bucket not proven to be yours.\nFix the challenge file, then check again.';
    case 'not_found':
      return check === 'challenge'
        ? `${CHALLENGE_NOT_FOUND_TEXT}\nCreate a blank file with no extension, named exactly as shown in your setup message, upload it to the top level of ${bucket}, and keep it there for as long as the destination exists. (Lost the name? Run \`/s3-destination setup\` for this bucket again: the saved destination stays until the new setup's Check and Save passes.)`
        : `S3 answered 404 Not Found for ${bucket}.\nCheck the bucket name, then check again.`;
    case 'access_denied':
      return roleArn === undefined
        ? `${ACCESS_DENIED_PROBLEM[check](bucket, code)}\n${addPolicy(context.bucket)} ${OTHER_DENIALS}`
        : `${roleDeniedProblem(check, bucket, code)}\n${addRolePolicy(context.bucket, roleArn)}`;
    case 'kms_denied':
      return (
        `S3 refused${code} because the bucket's default encryption uses an AWS KMS key that the bot's principal may not use.\n` +
        `Add this statement to that key's key policy, then check again: ${kmsStatement(roleArn ?? context.principalArn)}`
      );
    case 'no_such_bucket':
      return `The bucket ${bucket} does not exist (NoSuchBucket).\nCheck the spelling of the name and that the bucket is in the AWS account you meant, then run setup again with the right name.`;
    case 'wrong_region':
      return context.actualRegion
        ? `The bucket is in ${context.actualRegion}, not ${context.region}.\nPress *Use ${context.actualRegion} and check again* below if it is offered, or run setup again and choose ${context.actualRegion} as the region.`
        : `The bucket is not in ${context.region}: S3 redirected the request to another region.\nRun setup again and choose the bucket's region (the S3 console shows it in the bucket list).`;
    case 'owner_differs':
      return (
        'Warning: objects the bot writes belong to the bot\'s AWS account, not the bucket owner\'s, because the bucket has ACLs enabled (Object Ownership "Object writer"). Your account could not read what the loader writes.\n' +
        'In the S3 console, open the bucket › Permissions › Object Ownership › Edit, and choose "Bucket owner enforced (ACLs disabled)". The destination is saved either way.'
      );
    case 'changed_hands':
      return `The challenge file in ${bucket} now belongs to another owner than when the destination was saved: the bucket changed hands (it was deleted and created again, perhaps by someone else).\nIf the bucket is yours, run setup again for it; otherwise remove this destination.`;
    case 'transient':
      return `S3 did not answer properly${code}, so this check could not finish. Nothing to fix on your side.\nCheck again in a minute; if it keeps happening, ask whoever runs the bot.`;
    case 'no_credentials':
      return "This is a problem with the bot's own AWS credentials, not your bucket: they are missing, invalid or expired.\nAsk whoever runs the bot to fix its AWS credentials, then check again.";
    case 'unreachable':
      return "The bot could not connect to S3. This is a problem on the bot's side (its S3 endpoint or network), not your bucket.\nAsk whoever runs the bot to check its S3 endpoint and network, then check again.";
    case 'timeout':
      return 'S3 did not answer in time, so this check could not finish. Nothing to fix on your side.\nCheck again in a minute; if it keeps happening, ask whoever runs the bot to look at its connection to S3.';
    case 'role_denied':
    case 'role_not_found':
    case 'sts_region_disabled':
    case 'external_id_not_required':
      // Only the access check meets these; worded for it wherever they turn up.
      return explainAccess(outcome, context);
    case 'unexpected':
      return `S3 answered with an unexpected error${code}.\nCheck again in a minute; if it keeps happening, ask whoever runs the bot.`;
  }
}

/** Where the user finds our statements, and how to add them without losing the policy's others. */
function addPolicy(bucket: string): string {
  return `Add our two statements (\`/s3-destination policy ${bucket}\` shows them) to the bucket's policy, keeping its other statements, then check again.`;
}
/** Where the user finds the role's permissions, and what else can deny the role. */
function addRolePolicy(bucket: string, roleArn: string): string {
  return (
    `Give the role \`${roleArn}\` our permissions policy (\`/s3-destination policy ${bucket}\` shows it), then check again. ` +
    'If it is in place as generated, something else denies: an explicit Deny in the bucket policy, a permissions boundary on the role, an organization SCP or RCP, or Requester Pays on the bucket.'
  );
}

/** The problem of a 403 when the bot acts as the customer's role: its permissions policy. */
function roleDeniedProblem(check: CheckName, bucket: string, code: string): string {
  if (check === 'challenge') {
    return `Access denied${code} when the bot, as the role, read the challenge file in ${bucket}: the role’s permissions policy does not allow \`s3:GetObject\` on the bucket’s objects, or names another bucket. (S3 also answers 403 for a missing file when the role lacks \`s3:ListBucket\`.)`;
  }
  return ACCESS_DENIED_PROBLEM[check](bucket, code).replace(
    'the bucket policy is missing',
    'the role’s permissions policy is missing',
  );
}

const OTHER_DENIALS =
  'If they are in place as generated, something else denies: an explicit Deny in the bucket policy, an organization SCP or RCP, or Requester Pays on the bucket.';

/** The key-policy statement that lets our principal write through a customer-managed KMS key. */
function kmsStatement(principalArn: string | undefined): string {
  const statement = {
    Sid: 'S3DestinationUseKey',
    Effect: 'Allow',
    Principal: { AWS: principalArn ?? 'the principal in the bucket policy (its ARN)' },
    Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
    Resource: '*',
  };
  return `\`${JSON.stringify(statement)}\``;
}

const OK_TEXT: Readonly<Record<CheckName, (context: ExplainContext) => string>> = {
  access: (context) => explainAccess('ok', context),
  challenge: () => 'The challenge file is in the bucket.',
  list: () => 'The bot can list the bucket.',
  write: () =>
    `The bot can write to the bucket (it wrote the empty object \`${WRITE_CHECK_KEY}\`; you may delete it).`,
  ownership: () => 'Objects the bot writes belong to the bucket owner.',
  region: ({ region }) => `The bucket is in ${region}, the region chosen in setup.`,
};

const SKIPPED_TEXT: Readonly<Record<CheckName, (context: ExplainContext) => string>> = {
  access: () => 'Skipped.',
  challenge: () => 'Skipped.',
  list: () => 'Skipped.',
  write: () => 'Skipped.',
  ownership: () =>
    'Skipped: the S3 endpoint did not report object owners, so who owns what the loader writes could not be compared. Nothing to fix.',
  region: ({ region }) =>
    `Skipped: the S3 endpoint did not report the bucket's region (S3-compatible servers often do not), so it could not be compared with ${region}. Nothing to fix.`,
};

const ACCESS_DENIED_PROBLEM: Readonly<Record<CheckName, (bucket: string, code: string) => string>> =
  {
    access: (bucket, code) => `Access denied${code} when the bot reached ${bucket}.`,
    challenge: (bucket, code) =>
      `Access denied${code} when the bot read the challenge file in ${bucket}: the bucket policy is missing, or it was written for another principal. (S3 also answers 403 for a missing file when the policy lacks \`s3:ListBucket\`.)`,
    list: (bucket, code) =>
      `Access denied${code} when the bot listed ${bucket}: the bucket policy is missing \`s3:ListBucket\`.`,
    write: (bucket, code) =>
      `Access denied${code} when the bot wrote a test object to ${bucket}: the bucket policy is missing \`s3:PutObject\`.`,
    ownership: (bucket, code) =>
      `Access denied${code} when the bot listed the owners of its objects in ${bucket}: the bucket policy is missing \`s3:ListBucket\`.`,
    region: (bucket, code) =>
      `Access denied${code} when the bot asked for the region of ${bucket}: the bucket policy is missing \`s3:ListBucket\`, which HeadBucket needs.`,
  };
