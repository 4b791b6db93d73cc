// The admin REST API (Hono: the same routes run under @hono/node-server and, via hono/aws-lambda, in Lambda).
// Every route calls one MailStore admin.* operation through the client; the store authorises the bearer token.
// Errors are RFC 9457 problem details. Status choices: no or wrong token 401; operator-only route with a tenant
// token 403; another tenant's resources 404 (their existence is not confirmed); conflicts 409; a tenant limit or
// quota that would be exceeded 422; invalid JSON or fields 400; a body over 64 KiB 413.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { MailStoreClient } from '../mailstore/client.js';
import { MailStoreError, type MailStoreErrorCode } from '../mailstore/errors.js';
import type { Operation, RequestOf } from '../mailstore/api.js';
import { ROUTES, pathParams, type RouteSpec } from './routes.js';
import { openApiDocument } from './openapi.js';

const STATUS_OF: Record<MailStoreErrorCode, ContentfulStatusCode> = {
  AUTHENTICATIONFAILED: 401,
  UNAUTHORIZED: 401,
  NONEXISTENT: 404,
  ALREADYEXISTS: 409,
  TRYCREATE: 404,
  CANNOT: 409,
  NOPERM: 403,
  OVERQUOTA: 422,
  LIMIT: 422,
  BADREQUEST: 400,
  UNAVAILABLE: 503,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(c: Context, status: ContentfulStatusCode, detail: string): Response {
  const body = { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail };
  return c.json(body, status, { 'content-type': 'application/problem+json' });
}

class BadInput extends Error {}

async function readBody(c: Context, route: RouteSpec): Promise<Record<string, unknown>> {
  if (!route.body) return {};
  let json: unknown;
  try {
    json = JSON.parse(await c.req.text());
  } catch {
    throw new BadInput('The body is not valid JSON');
  }
  const parsed = route.body.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BadInput(`Invalid field ${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data as Record<string, unknown>;
}

function readQuery(c: Context, route: RouteSpec): Record<string, unknown> {
  if (!route.paged) return {};
  const out: Record<string, unknown> = {};
  const limit = c.req.query('limit');
  if (limit !== undefined) {
    if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) throw new BadInput('limit must be 1..1000');
    out.limit = Number(limit);
  }
  const cursor = c.req.query('cursor');
  if (cursor !== undefined) out.cursor = cursor;
  return out;
}

export interface AdminAppOptions {
  /** The MailStore client, or a function giving it (Lambda builds the store on first use). */
  store: MailStoreClient | (() => MailStoreClient);
  /** Logs unexpected failures (never secrets: requests are not logged). */
  onError?: (err: unknown) => void;
}

export function createAdminApp(options: AdminAppOptions): Hono {
  const store = (): MailStoreClient => (typeof options.store === 'function' ? options.store() : options.store);
  const app = new Hono();
  app.use('*', bodyLimit({ maxSize: 64 * 1024, onError: (c) => problem(c, 413, 'The body is larger than 64 KiB') }));
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  for (const route of ROUTES) {
    const honoPath = route.path.replace(/\{(\w+)\}/g, ':$1');
    app.on(route.method.toUpperCase(), honoPath, async (c) => {
      const auth = c.req.header('authorization') ?? '';
      const match = /^Bearer\s+(\S+)$/i.exec(auth);
      if (!match) return problem(c, 401, 'A bearer token is required');
      try {
        const params: Record<string, string> = {};
        // Hono already percent-decodes parameters: decoding again turned "%2540" into "@" and "%25zz" into a 500.
        for (const name of pathParams(route.path)) params[name] = c.req.param(name) ?? '';
        const request = { ...readQuery(c, route), ...(await readBody(c, route)), ...params, adminToken: match[1]! };
        const result = await store().call(route.op, request as RequestOf<Operation>);
        if (route.status === 204) return c.body(null, 204);
        return c.json(result, route.status);
      } catch (err) {
        if (err instanceof BadInput) return problem(c, 400, err.message);
        if (err instanceof MailStoreError) return problem(c, STATUS_OF[err.code], err.message);
        options.onError?.(err);
        return problem(c, 500, 'Internal error');
      }
    });
  }
  app.notFound((c) => problem(c, 404, 'No such route'));
  app.onError((err, c) => {
    options.onError?.(err);
    return problem(c, 500, 'Internal error');
  });
  return app;
}
