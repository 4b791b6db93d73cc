// The OpenAPI 3.1 document of the admin API, made from the route table (routes.ts) and the same zod schemas the
// store validates with, so it cannot drift from what is served.
import { z } from 'zod';
import { ROUTES, pathParams } from './routes.js';

const problem = {
  description: 'Problem details (RFC 9457)',
  content: {
    'application/problem+json': {
      schema: {
        type: 'object',
        properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' } },
        required: ['type', 'title', 'status'],
      },
    },
  },
};

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const parameters: unknown[] = pathParams(route.path).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
    if (route.paged) {
      parameters.push(
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000 } },
        { name: 'cursor', in: 'query', required: false, schema: { type: 'string' } },
      );
    }
    const responses: Record<string, unknown> = {
      [String(route.status)]:
        route.status === 204
          ? { description: 'Done' }
          : { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } },
      '401': problem,
      '404': problem,
    };
    if (route.body) Object.assign(responses, { '400': problem, '413': problem });
    if (route.operatorOnly) responses['403'] = problem;
    if (route.method === 'post' || route.method === 'delete' || route.method === 'patch') Object.assign(responses, { '409': problem, '422': problem });
    paths[route.path] ??= {};
    paths[route.path]![route.method] = {
      operationId: route.op,
      summary: route.summary,
      security: [{ bearer: [] }],
      ...(parameters.length ? { parameters } : {}),
      ...(route.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(route.body, { target: 'draft-2020-12' }) } } } }
        : {}),
      responses,
    };
  }
  paths['/openapi.json'] = {
    get: {
      operationId: 'openapi',
      summary: 'This document',
      security: [],
      responses: { '200': { description: 'OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Stratus admin API',
      version: '1',
      description:
        'Tenants, domains, users, quotas, aliases, app passwords and tenant-scoped tokens. Bearer: the operator token, or a tenant token (reaches only its tenant; another tenant is 404, operator-only routes 403).',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
