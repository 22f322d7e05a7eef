import { z } from 'zod';
import { accessOf } from '../domain/access';
import { CSV_DELIMITER_CHARACTERS, OUTPUT_FORMATS } from '../domain/destination';
import type { SavedDestination } from '../store/types';

/** The schemas the OpenAPI document names as components, by id. */
export const apiSchemas = z.registry<{ id: string }>();

/** How the loader reaches the bucket: as our principal (bucket policy), or by assuming a role. */
export const apiAccessSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('bucket_policy') }).meta({
      description: 'The bucket policy grants our principal: use its own credentials.',
    }),
    z
      .object({
        type: z.literal('iam_role'),
        role_arn: z.string().meta({ description: 'The role in the customer’s account.' }),
        external_id: z.string().meta({
          description: 'Pass as ExternalId to sts:AssumeRole; the role’s trust policy requires it.',
        }),
      })
      .meta({
        description:
          'Assume role_arn with external_id (sts:AssumeRole, as our principal), then use the role’s credentials.',
      }),
  ])
  .register(apiSchemas, { id: 'Access' });
export type ApiAccess = z.infer<typeof apiAccessSchema>;

/**
 * The loader's view of one destination, in the reference product's field names (see "Contracts
 * with the loader" in docs/ARCHITECTURE.md). The one source of truth for the responses and the OpenAPI document; never the
 * challenge name.
 */
export const apiDestinationSchema = z
  .object({
    team_id: z.string().meta({ description: 'The Slack workspace that connected the bucket.' }),
    bucket: z.string(),
    region: z.string().meta({ description: 'The AWS Region of the bucket, e.g. us-east-1.' }),
    output_file_format: z.enum(OUTPUT_FORMATS),
    csv_delimiter: z
      .enum([',', '|', '\t'])
      .meta({ description: 'The delimiter character; applies when output_file_format is csv.' }),
    csv_force_quote: z
      .boolean()
      .meta({ description: 'Quote every CSV element, numbers too; applies to csv.' }),
    s3_key_format_string: z.string().meta({
      description:
        'The object key template, e.g. [integration_name]/[table_name]/[table_version]_[timestamp_loaded]; the format’s extension follows the rendered key.',
    }),
    access: apiAccessSchema,
    connected_by: z.string().meta({ description: 'The Slack user who connected it.' }),
    connected_at: z.string().nullable().meta({
      description:
        'When it was saved (ISO 8601); null for destinations saved before this was recorded.',
    }),
    verified_at: z.string().meta({ description: 'When a check last passed (ISO 8601).' }),
    last_check: z
      .object({
        at: z.string(),
        ok: z.boolean(),
        summary: z.string(),
      })
      .meta({ description: 'The latest check of the bucket.' })
      .register(apiSchemas, { id: 'LastCheck' }),
  })
  .register(apiSchemas, { id: 'Destination' });
export type ApiDestination = z.infer<typeof apiDestinationSchema>;

export const destinationPageSchema = z
  .object({
    destinations: z.array(apiDestinationSchema),
    next_cursor: z.string().nullable().meta({
      description: 'Pass as `cursor` for the next page; null on the last page.',
    }),
  })
  .register(apiSchemas, { id: 'DestinationPage' });
export type DestinationPage = z.infer<typeof destinationPageSchema>;

export const API_ERROR_CODES = [
  'unauthorized',
  'not_found',
  'bad_request',
  'unavailable',
  'internal',
] as const;

export const apiErrorSchema = z
  .object({
    error: z.enum(API_ERROR_CODES),
    message: z.string(),
  })
  .register(apiSchemas, { id: 'Error' });
export type ApiError = z.infer<typeof apiErrorSchema>;

/** A saved destination as the loader sees it. */
export function toApiDestination(saved: SavedDestination): ApiDestination {
  const { settings } = saved;
  return apiDestinationSchema.parse({
    team_id: saved.teamId,
    bucket: settings.bucket,
    region: settings.region,
    output_file_format: settings.format,
    csv_delimiter: CSV_DELIMITER_CHARACTERS[settings.csvDelimiter],
    csv_force_quote: settings.csvForceQuote,
    s3_key_format_string: settings.keyTemplate,
    access: toApiAccess(accessOf(settings)),
    connected_by: saved.connectedBy,
    connected_at: saved.connectedAt ?? null,
    verified_at: saved.verifiedAt,
    last_check: {
      at: saved.lastCheck.at,
      ok: saved.lastCheck.ok,
      summary: saved.lastCheck.summary,
    },
  });
}

function toApiAccess(access: ReturnType<typeof accessOf>): ApiAccess {
  return access.type === 'bucket_policy'
    ? { type: 'bucket_policy' }
    : { type: 'iam_role', role_arn: access.roleArn, external_id: access.externalId };
}
