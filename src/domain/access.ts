import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { PARTITION_NAMES, partitionForRegion } from './partition';
import { parseIamPrincipal } from './principal';

/**
 * How the bot and the loader reach a bucket: the bucket policy names our principal, or a role in
 * the customer's account trusts our principal when it presents the destination's ExternalId.
 */
export const ACCESS_TYPES = ['bucket_policy', 'iam_role'] as const;
export type AccessType = (typeof ACCESS_TYPES)[number];

export const ACCESS_TYPE_LABELS: Readonly<Record<AccessType, string>> = {
  bucket_policy: 'Bucket policy',
  iam_role: 'IAM role in your account',
};

/** Made of letters and digits only, so it pastes into JSON, shells and URLs unchanged. */
const EXTERNAL_ID = /^[A-Za-z0-9]{32,1224}$/;
const EXTERNAL_ID_LENGTH = 40;
const EXTERNAL_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export const bucketPolicyAccessSchema = z.object({ type: z.literal('bucket_policy') });
export const roleAccessSchema = z.object({
  type: z.literal('iam_role'),
  roleArn: z.string().min(1),
  externalId: z.string().regex(EXTERNAL_ID),
});
export const accessSchema = z.discriminatedUnion('type', [
  bucketPolicyAccessSchema,
  roleAccessSchema,
]);
export type Access = z.infer<typeof accessSchema>;
export type RoleAccess = z.infer<typeof roleAccessSchema>;

export const BUCKET_POLICY_ACCESS: Access = { type: 'bucket_policy' };

/** A destination's access; one saved before roles existed reached its bucket by bucket policy. */
export function accessOf(settings: { readonly access?: Access }): Access {
  return settings.access ?? BUCKET_POLICY_ACCESS;
}

/**
 * A fresh ExternalId: 40 characters of [A-Za-z0-9] (about 238 bits), drawn with a CSPRNG so that
 * no one can guess another destination's, and never reused since each setup draws its own.
 */
export function newExternalId(): string {
  let id = '';
  for (let i = 0; i < EXTERNAL_ID_LENGTH; i += 1) {
    id += EXTERNAL_ID_ALPHABET[randomInt(EXTERNAL_ID_ALPHABET.length)];
  }
  return id;
}

export interface RoleArnRules {
  /** An S3-compatible engine (S3_ENDPOINT): any role ARN it uses, e.g. `arn:aws:iam:::role/x`. */
  readonly s3Compatible: boolean;
}

/**
 * What is wrong with `arn` as the role of a bucket in `region`, in words for the modal; none when
 * it is `arn:<partition>:iam::<12 digits>:role/<path/name>` of the region's partition.
 */
export function roleArnProblems(arn: string, region: string, rules: RoleArnRules): string[] {
  const trimmed = arn.trim();
  const partition = partitionForRegion(region);
  const example = `arn:${partition}:iam::123456789012:role/s3-destination`;
  if (trimmed === '') return [`Enter the ARN of the role, such as ${example}.`];
  const parsed = parseIamPrincipal(trimmed, rules);
  if (!parsed.ok) return [`The role ARN ${parsed.problem}.`];
  if (parsed.principal.kind !== 'role') {
    return [`That is a user ARN: enter the ARN of a role (…:role/<name>), such as ${example}.`];
  }
  if (!rules.s3Compatible && parsed.principal.partition !== partition) {
    return [
      `A bucket in ${region} (${PARTITION_NAMES[partition]}) needs a role of the same partition: arn:${partition}:iam::…, not arn:${parsed.principal.partition}:…`,
    ];
  }
  return [];
}
