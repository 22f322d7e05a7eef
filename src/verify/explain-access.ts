import type { Access } from '../domain/access';
import type { CheckOutcome } from './report';

/** What the texts about reaching a bucket may name. */
export interface AccessExplainContext {
  readonly bucket: string;
  readonly region: string;
  /** STS's (or S3's) error code and HTTP status. */
  readonly detail?: string;
  /** Our principal of the bucket's partition: the one the trust policy must name. */
  readonly principalArn?: string;
  readonly access?: Access;
}

const POLICY_COMMAND = (bucket: string) => `\`/s3-destination policy ${bucket}\``;

/**
 * What the user is told about reaching the bucket through its role: the outcome of AssumeRole
 * (and of the probe without the ExternalId), the cause in plain words with STS's own code, and
 * the fix. Never the ExternalId itself: results are posted where the whole team reads them.
 */
export function explainAccess(outcome: CheckOutcome, context: AccessExplainContext): string {
  const role = context.access?.type === 'iam_role' ? `\`${context.access.roleArn}\`` : 'the role';
  const principal = context.principalArn ? `\`${context.principalArn}\`` : 'our principal';
  const code = context.detail ? ` (${context.detail})` : '';
  const policy = POLICY_COMMAND(context.bucket);
  switch (outcome) {
    case 'ok':
      return `The bot assumed the role ${role} with this destination’s ExternalId.`;
    case 'external_id_not_required':
      return (
        `Warning: the role ${role} could be assumed without the ExternalId too, so its trust policy does not require it: whoever can act as ${principal} could reach your bucket through the role, which is what the ExternalId prevents.\n` +
        `Add the condition \`"Condition": {"StringEquals": {"sts:ExternalId": "<this destination’s ExternalId>"}}\` to the trust policy (${policy} shows it to whoever connected the bucket). The destination is saved either way.`
      );
    case 'role_denied':
      return (
        `STS refused to let the bot assume ${role}${code}. AWS gives this one answer for each of these causes, so check them in order:\n` +
        `• the role’s trust policy does not name our principal ${principal} (it names another, or the statement is missing);\n` +
        '• its `sts:ExternalId` condition does not match this destination’s ExternalId (a role made for an earlier setup has the old one: each setup has its own);\n' +
        '• the role does not exist in that account (AWS does not tell other accounts): check the ARN.\n' +
        `${policy} shows the trust policy to put on the role (\`aws iam update-assume-role-policy\`), then check again.`
      );
    case 'role_not_found':
      return `STS says the role ${role} does not exist${code}.\nCreate it with the steps of your setup message (${policy} shows them), or set up again with the ARN of the role you created, then check again.`;
    case 'sts_region_disabled':
      return `STS is not activated in ${context.region} for the role’s account${code}, so the role cannot be assumed there.\nIn the IAM console: *Account settings → Security Token Service (STS) → Endpoints*, activate ${context.region}, then check again.`;
    case 'transient':
    case 'timeout':
      return `STS did not answer properly${code}, so the role could not be assumed this time. Nothing to fix on your side.\nCheck again in a minute; if it keeps happening, ask whoever runs the bot.`;
    case 'no_credentials':
      return "STS refused the bot's own AWS credentials: they are missing, invalid or expired. This is a problem on the bot's side, not your role.\nAsk whoever runs the bot to fix its AWS credentials, then check again.";
    case 'unreachable':
      return "The bot could not connect to STS. This is a problem on the bot's side (its STS endpoint or network), not your role.\nAsk whoever runs the bot to check STS_ENDPOINT and its network, then check again.";
    default:
      return `STS answered AssumeRole for ${role} with an unexpected error${code}.\nCheck again in a minute; if it keeps happening, ask whoever runs the bot.`;
  }
}
