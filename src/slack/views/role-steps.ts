import type { types } from '@slack/bolt';
import type { RoleAccess } from '../../domain/access';
import { consoleOrigin } from '../../domain/partition';
import {
  buildPermissionsPolicy,
  buildTrustPolicy,
  formatPermissionsPolicy,
  formatTrustPolicy,
  roleNameOf,
  rolePathOf,
} from '../../domain/role-policy';
import { escapeText, inlineCode } from './mrkdwn';

/** The files the AWS CLI reads the role's policies from: `file://` works the same in every shell. */
export const TRUST_POLICY_FILE = 's3-destination-trust-policy.json';
export const PERMISSIONS_POLICY_FILE = 's3-destination-permissions-policy.json';
/** The name of the role's inline permissions policy. */
export const ROLE_POLICY_NAME = 's3-destination';

/** Stands in the trust policy for the ExternalId, where the one asking may not see it. */
export const EXTERNAL_ID_WITHHELD = 'EXTERNAL-ID-SHOWN-ONLY-TO-WHOEVER-CONNECTED-THE-BUCKET';

export interface RoleStepsInput {
  readonly bucket: string;
  readonly region: string;
  /** Our principal of the bucket's partition: the only one the trust policy lets in. */
  readonly principalArn: string;
  readonly access: RoleAccess;
  /** False: the trust policy shows a placeholder instead of the ExternalId. */
  readonly showExternalId: boolean;
}

const section = (text: string): types.KnownBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text },
});

/**
 * How to create the role our loader assumes: the console path, its trust policy (our principal,
 * only with the destination's ExternalId), its permissions policy (the bucket policy's three
 * actions) and the AWS CLI form. `heading` is mrkdwn, shown first.
 */
export function roleSteps(input: RoleStepsInput, heading: string): types.KnownBlock[] {
  const { region, access } = input;
  const bucket = escapeText(input.bucket);
  const roleName = escapeText(roleNameOf(access.roleArn));
  const path = escapeText(rolePathOf(access.roleArn));
  const externalId = input.showExternalId ? access.externalId : EXTERNAL_ID_WITHHELD;
  const trust = formatTrustPolicy(buildTrustPolicy(input.principalArn, externalId));
  const permissions = formatPermissionsPolicy(buildPermissionsPolicy(input.bucket, region));
  const iam = `${consoleOrigin(region)}/iam/home#/roles`;
  const pathOption = path === '/' ? '' : ` --path ${path}`;
  const id = input.showExternalId
    ? `Its ExternalId, ${inlineCode(access.externalId)}, belongs to this destination alone.`
    : 'Its ExternalId is shown only to whoever connected the bucket.';
  return [
    section(
      `${heading} Create the role ${inlineCode(access.roleArn)} in the account that owns ${inlineCode(input.bucket)}. ` +
        `Only our loader (${inlineCode(input.principalArn)}) may assume it, and only when it presents this destination’s ExternalId; ` +
        'it may list the bucket and read and write its objects, nothing more. Your bucket policy stays as it is. ' +
        `${id}\n` +
        `AWS console: *IAM → Roles → Create role → Custom trust policy* (<${iam}|Open IAM roles>): paste the trust policy, *Next*, skip the permissions, name it ${inlineCode(roleNameOf(access.roleArn))}, *Create role*. ` +
        'Then open the role: *Permissions → Add permissions → Create inline policy → JSON*, paste the permissions policy, ' +
        `name it ${inlineCode(ROLE_POLICY_NAME)}, *Create policy*.`,
    ),
    section(`The trust policy:\n\`\`\`${escapeText(trust)}\`\`\``),
    section(`The permissions policy:\n\`\`\`${escapeText(permissions)}\`\`\``),
    section(
      `Or with the AWS CLI (bash, PowerShell or cmd): save them as \`${TRUST_POLICY_FILE}\` and \`${PERMISSIONS_POLICY_FILE}\`, then run:\n` +
        `\`\`\`aws iam create-role --role-name ${roleName}${pathOption} --assume-role-policy-document file://${TRUST_POLICY_FILE}\n` +
        `aws iam put-role-policy --role-name ${roleName} --policy-name ${ROLE_POLICY_NAME} --policy-document file://${PERMISSIONS_POLICY_FILE}\`\`\`\n` +
        `The role exists already? Replace its trust policy instead of creating it: \`aws iam update-assume-role-policy --role-name ${roleName} --policy-document file://${TRUST_POLICY_FILE}\`. ` +
        `A role in the account that owns ${bucket} needs no bucket policy.`,
    ),
  ];
}

export interface RolePolicyMessageInput extends RoleStepsInput {
  /** Whose role it is: a saved destination, or the caller's setup that is not saved yet. */
  readonly source: 'destination' | 'session';
}

/**
 * The answer to `policy <bucket>` for a destination reached through a role, shown to the caller
 * only: the role's trust and permissions policies and how to create them. Never the challenge name.
 */
export function buildRolePolicyMessage(input: RolePolicyMessageInput): {
  text: string;
  blocks: types.KnownBlock[];
} {
  const bucket = inlineCode(input.bucket);
  const whose =
    input.source === 'destination'
      ? `the saved destination ${bucket}`
      : `${bucket}, from the setup you started`;
  return {
    text: `The role policies for ${escapeText(input.bucket)}`,
    blocks: [
      section(
        `:scroll: ${whose} is reached through the role ${inlineCode(input.access.roleArn)}. Its policies follow; only you can see this.`,
      ),
      ...roleSteps(input, '*The role.*'),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: 'The challenge file name is never shown again. Lost? Run `/s3-destination setup` for the bucket again: the saved destination stays in force until the new setup’s *Check and Save* passes.',
          },
        ],
      },
    ],
  };
}
