// The verifier as its callers see it (the setup, verify and the monitor), apart from the S3 one.

import type { Access } from '../domain/access';
import type { VerificationReport } from './report';

export interface VerifyTarget {
  readonly bucket: string;
  readonly region: string;
  readonly challengeKey: string;
  /** The challenge file's owner when the destination was saved; another owner fails the check. */
  readonly expectedOwnerId?: string;
  /** The principal of the bucket's partition, named in texts that must show it (KMS). */
  readonly principalArn?: string;
  /** How the bucket is reached; absent: the bucket policy. */
  readonly access?: Access;
  /** The workspace the bucket belongs to: names the role session, so the customer's logs show whose it is. */
  readonly teamId?: string;
}

export interface WatchTarget extends VerifyTarget {
  /** Compare the bucket's region too (the monitor does it at most once a day). */
  readonly checkRegion: boolean;
}

/** Runs the checks (challenge, region, list, write, ownership) against one bucket. */
export interface Verifier {
  /** Everything, in order: challenge (and region), then list, write and ownership. */
  verify(target: VerifyTarget): Promise<VerificationReport>;
  /** The monitor's routine check: the challenge with its owner, listing, maybe the region. Never writes. */
  watch(target: WatchTarget): Promise<VerificationReport>;
}
