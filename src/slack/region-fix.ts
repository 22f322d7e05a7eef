import { z } from 'zod';
import { principalForRegion, type Principals } from '../domain/principal';
import { isKnownRegion } from '../domain/regions';
import type { VerificationReport } from '../verify/report';

/** The value of the `use_bucket_region` button: the setup to switch, and the bucket's region. */
export const regionFixSchema = z.object({
  sessionId: z.string().uuid(),
  region: z.string().min(1).max(32),
});
export type RegionFix = z.infer<typeof regionFixSchema>;

/** Reads a `use_bucket_region` button's value; undefined unless it is one of ours. */
export function parseRegionFix(raw: string | undefined): RegionFix | undefined {
  try {
    const parsed = regionFixSchema.safeParse(JSON.parse(raw ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the bot can connect a bucket in `region`: a known region of a partition it serves. */
export function isServedRegion(region: string, principals: Principals): boolean {
  return isKnownRegion(region) && principalForRegion({ principals }, region) !== undefined;
}

/** The region S3 said the bucket is in, as a check's result carries it. */
/**
 * The bucket's real region when the region is all that failed (the challenge fails along with it
 * when S3 redirected its request to that region) and the bot serves it; otherwise undefined.
 */
export function bucketRegionToUse(
  report: VerificationReport,
  chosenRegion: string,
  principals: Principals,
): string | undefined {
  if (report.ok) return undefined;
  const regionCheck = report.checks.find((result) => result.check === 'region');
  const actual = regionCheck?.outcome === 'wrong_region' ? regionCheck.actualRegion : undefined;
  if (actual === undefined || actual === chosenRegion) return undefined;
  const onlyTheRegion = report.checks
    .filter((result) => result.status === 'failed')
    .every(
      (result) => result.outcome === 'wrong_region' && (result.actualRegion ?? actual) === actual,
    );
  return onlyTheRegion && isServedRegion(actual, principals) ? actual : undefined;
}
