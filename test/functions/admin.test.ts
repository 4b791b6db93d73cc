// The admin function (functions/admin.ts) invoked as API Gateway invokes it: REST API (v1) Lambda proxy events, on
// DynamoDB Local + the S3 stand-in, configured through the environment the stack sets (STRATUS_BACKEND=aws, table
// names, the token key and the operator token resolved from their secrets). Bearer token checks end to end: the
// operator may create and read tenants; no token or a wrong one is 401 with a problem document.
import { awsStoreSettings } from '../e2e/two-process-stores.js';
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';

type ProxyResult = {
  statusCode: number;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body: string;
  isBase64Encoded?: boolean;
};
type Handler = (event: unknown, context: unknown) => Promise<ProxyResult>;


const OPERATOR = randomBytes(24).toString('base64url');

/** A REST API (payload v1) proxy event for the `{proxy+}` resource, as API Gateway sends it to the function. */
function proxyEvent(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; query?: Record<string, string> } = {},
): Record<string, unknown> {
  const headers: Record<string, string> = {
    Accept: 'application/json',
    Host: 'abc123.execute-api.eu-west-1.amazonaws.com',
    'User-Agent': 'curl/8.5.0',
    'X-Forwarded-For': '198.51.100.7',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
  };
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const multi = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, [v]]));
  const requestId = randomUUID();
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: multi(headers),
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: options.query ? multi(options.query) : null,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    requestContext: {
      resourceId: 'a1b2c3',
      resourcePath: '/{proxy+}',
      httpMethod: method,
      extendedRequestId: 'XyZ12AbCdEFg=',
      requestTime: '04/Mar/2025:09:05:07 +0000',
      path: `/v1${path}`,
      accountId: '111111111111',
      protocol: 'HTTP/1.1',
      stage: 'v1',
      domainPrefix: 'abc123',
      requestTimeEpoch: 1741079107000,
      requestId,
      identity: { sourceIp: '198.51.100.7', userAgent: 'curl/8.5.0', accessKey: null, accountId: null, caller: null, user: null, userArn: null },
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      apiId: 'abc123',
    },
    body: options.body === undefined ? null : JSON.stringify(options.body),
    isBase64Encoded: false,
  };
}

const lambdaContext = {
  functionName: 'Stratus-AdminFunction',
  functionVersion: '$LATEST',
  awsRequestId: randomUUID(),
  getRemainingTimeInMillis: () => 15_000,
};

describe('admin function behind API Gateway (REST proxy events) on dynamodb-local + s3', () => {
  let handler: Handler;

  before(async () => {
    // Fresh tables on DynamoDB Local and the settings the stack gives every function (cdk/stack.ts), pointed at the
    // local services; the handlers read process.env on their first invocation, as in Lambda.
    Object.assign(process.env, {
      ...(await awsStoreSettings('admin')),
      STRATUS_ADMIN_TOKEN: OPERATOR,
      STRATUS_PRESIGN_SECONDS: '300',
    });
    ({ handler } = (await import('../../functions/admin.js')) as unknown as { handler: Handler });
  });

  const call = async (event: Record<string, unknown>) => {
    const result = await handler(event, lambdaContext);
    assert.equal(result.isBase64Encoded ?? false, false);
    // A v1 event carrying multiValueHeaders gets its response headers back in that form.
    const headers: Record<string, string> = { ...result.headers };
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name.toLowerCase()] = values.join(', ');
    return { status: result.statusCode, headers, json: JSON.parse(result.body) as Record<string, unknown> };
  };

  it('GET /whoami with the operator token answers the operator scope', async () => {
    const res = await call(proxyEvent('GET', '/whoami', { token: OPERATOR }));
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { scope: 'operator' });
  });

  it('POST /tenants creates a tenant in the table; GET /tenants/{id} and GET /tenants?limit= read it back', async () => {
    const created = await call(proxyEvent('POST', '/tenants', { token: OPERATOR, body: { name: 'Acme Mail' } }));
    assert.equal(created.status, 201);
    assert.equal(created.json.name, 'Acme Mail');
    const tenantId = created.json.tenantId as string;
    assert.ok(tenantId);
    const got = await call(proxyEvent('GET', `/tenants/${encodeURIComponent(tenantId)}`, { token: OPERATOR }));
    assert.equal(got.status, 200);
    assert.equal(got.json.tenantId, tenantId);
    const listed = await call(proxyEvent('GET', '/tenants', { token: OPERATOR, query: { limit: '10' } }));
    assert.equal(listed.status, 200);
    assert.ok((listed.json.items as { tenantId: string }[]).some((t) => t.tenantId === tenantId));
  });

  it('answers 401 problem details without a token or with a wrong one, and 400 for an invalid body', async () => {
    for (const event of [proxyEvent('GET', '/whoami'), proxyEvent('POST', '/tenants', { body: { name: 'Nope' } })]) {
      const res = await call(event);
      assert.equal(res.status, 401);
      assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
      assert.equal(res.json.status, 401);
    }
    const wrong = await call(proxyEvent('GET', '/whoami', { token: randomBytes(24).toString('base64url') }));
    assert.equal(wrong.status, 401);
    const invalid = await call(proxyEvent('POST', '/tenants', { token: OPERATOR, body: { name: 'x', extra: true } }));
    assert.equal(invalid.status, 400);
    const missing = await call(proxyEvent('GET', '/no-such-route', { token: OPERATOR }));
    assert.equal(missing.status, 404);
  });
});
