import { z } from 'zod';
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

/** The OpenAPI 3.1 document of the loader API (DESIGN.md section 10). */
export function buildOpenApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 's3-destination-bot loader API',
      version: '1.0.0',
      description:
        'The S3 destinations connected in Slack, for the loader that writes to them. Never the challenge file name.',
    },
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
    components: {
      schemas: componentSchemas(),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}
