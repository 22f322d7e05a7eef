import { z } from 'zod';
import { CHANGE_TYPES } from '../store/types';
import { WEBHOOK_HEADERS } from './change-event';
import { apiSchemas } from './schemas';

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string) => ({
  description,
  content: { 'application/json': { schema: ref(id) } },
});
const errors = {
  '401': json('Error', 'No valid bearer token.'),
  '503': json('Error', 'The store does not answer; try again.'),
};

/** The Standard Webhooks headers every delivery of an event carries. */
const webhookHeaders = [
  {
    name: WEBHOOK_HEADERS.id,
    description: 'The event’s id: the same on every delivery of it.',
  },
  {
    name: WEBHOOK_HEADERS.timestamp,
    description: 'When this delivery was signed, in Unix seconds; refuse one far from now.',
  },
  {
    name: WEBHOOK_HEADERS.signature,
    description:
      'Space-separated `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`, one per secret of LOADER_WEBHOOK_SECRET, keyed with the base64-decoded part of the `whsec_…` secret. Any standardwebhooks library verifies it.',
  },
].map((header) => ({ ...header, in: 'header', required: true, schema: { type: 'string' } }));

/** The change event POSTed to LOADER_WEBHOOK_URL, under the 3.1 `webhooks` key. */
const webhooks = {
  destinationChanged: {
    post: {
      operationId: 'destinationChanged',
      summary: 'A destination changed',
      description: `Sent for every change of a destination (${CHANGE_TYPES.join(', ')}), at least once, in \`sequence\` order per team and bucket. Drop an \`id\` already seen and any \`sequence\` lower than the highest you hold.`,
      security: [],
      parameters: webhookHeaders,
      requestBody: {
        required: true,
        content: { 'application/json': { schema: ref('ChangeEvent') } },
      },
      responses: {
        '200': { description: 'Received (any 2xx): the event is not sent again.' },
        '410': {
          description: 'Refused for good: the event is kept as a dead letter, not sent again.',
        },
        default: { description: 'Any other answer: sent again later, with back-off.' },
      },
    },
  },
};

/** Generated from the zod schemas of the responses themselves, never kept by hand beside them. */
function componentSchemas(): Record<string, unknown> {
  const { schemas } = z.toJSONSchema(apiSchemas, {
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
  });
  // Each component is a schema within the document's dialect, not a document of its own.
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const component: Record<string, unknown> = { ...schema };
      delete component.$schema;
      delete component.$id;
      return [id, component];
    }),
  );
}

/** The OpenAPI 3.1 document of the loader API and of the change events it POSTs. */
export function buildOpenApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 's3-destination-bot loader API',
      version: '1.0.0',
      description:
        'The S3 destinations connected in Slack, for the loader that writes to them. Never the challenge file name.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: '/', description: 'The bot itself, where this document is served.' }],
    security: [{ bearer: [] }],
    paths: {
      '/api/v1/destinations': {
        get: {
          operationId: 'listDestinations',
          summary: 'Every workspace’s destinations, by team then bucket',
          parameters: [
            {
              name: 'limit',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            },
            {
              name: 'cursor',
              in: 'query',
              required: false,
              description: 'The next_cursor of the previous page.',
              schema: { type: 'string' },
            },
          ],
          responses: {
            '200': json('DestinationPage', 'One page of destinations.'),
            '400': json('Error', 'A limit outside 1–500, or a cursor this API did not give.'),
            ...errors,
          },
        },
      },
      '/api/v1/destinations/{team_id}/{bucket}': {
        get: {
          operationId: 'getDestination',
          summary: 'One destination',
          parameters: [
            { name: 'team_id', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'bucket', in: 'path', required: true, schema: { type: 'string' } },
          ],
          responses: {
            '200': json('Destination', 'The destination.'),
            '404': json('Error', 'No such destination.'),
            ...errors,
          },
        },
      },
      '/api/v1/openapi.json': {
        get: {
          operationId: 'getOpenApiDocument',
          summary: 'This document',
          security: [],
          responses: {
            '200': {
              description: 'The OpenAPI 3.1 document.',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          },
        },
      },
    },
    webhooks,
    components: {
      schemas: componentSchemas(),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}
