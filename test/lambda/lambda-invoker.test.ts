// The frontend with the lambda invoker, end to end: the function bundles the CDK stack ships (cdk/bundle.ts) run
// behind a local HTTP endpoint that speaks the Lambda Invoke API, the real @aws-sdk/client-lambda calls it, the
// functions run on DynamoDB Local + the S3 stand-in and hand out presigned URLs, and imapflow talks IMAP to the
// frontend, which has no token key and moves message bytes only through those URLs.
import { awsStoreSettings } from '../e2e/two-process-stores.js';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import { bundleFunction } from '../../cdk/bundle.js';
import { FAMILIES } from '../../cdk/stack.js';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server/main.js';
import { addUser } from '../../src/mailstore/directory.js';
import { LambdaInvoker, makeLambdaClient } from '../../src/server/lambda-invoker.js';
import { MailStoreError } from '../../src/mailstore/errors.js';
import { RawClient } from '../e2e/raw-client.js';


type Handler = (event: unknown) => Promise<unknown>;

/** POST /2015-03-31/functions/{name}/invocations → the handler; a thrown error is an X-Amz-Function-Error. */
async function startInvokeApi(handlers: Record<string, Handler>): Promise<{ url: string; calls: string[]; failNext: Set<string>; hang: Set<string>; close(): Promise<void> }> {
  const calls: string[] = [];
  const failNext = new Set<string>();
  const hang = new Set<string>();
  const server: Server = createServer((req, res) => {
    const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const name = m ? decodeURIComponent(m[1]!) : '';
      const handler = handlers[name];
      if (req.method !== 'POST' || !handler) {
        res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
        res.end(JSON.stringify({ Type: 'User', message: `Function not found: ${name}` }));
        return;
      }
      calls.push(name);
      if (hang.has(name)) return; // never answers: the client's timeout must fire
      if (failNext.delete(name)) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
        res.end(JSON.stringify({ errorType: 'Error', errorMessage: 'injected failure' }));
        return;
      }
      handler(JSON.parse(Buffer.concat(chunks).toString('utf8'))).then(
        (result) => {
          res.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' });
          res.end(JSON.stringify(result));
        },
        (err: unknown) => {
          res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
          res.end(JSON.stringify({ errorType: 'Error', errorMessage: err instanceof Error ? err.message : String(err) }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    failNext,
    hang,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const MESSAGE = [
  'From: Dora <dora@example.net>',
  'To: Eve <eve@example.net>',
  'Subject: through the lambdas',
  'Message-ID: <lambda-1@example.net>',
  'Date: Mon, 01 Jan 2024 10:00:00 +0000',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Hello from a presigned URL.',
  '',
].join('\r\n');

/** The families the frontend invokes (the stack's task-role policy and STRATUS_FUNCTION_* environment). */
const FRONTEND_FAMILIES = Object.entries(FAMILIES)
  .filter(([, access]) => access.caller === 'frontend')
  .map(([family]) => family);

describe('frontend with the lambda invoker', () => {
  let dir: string;
  let api: Awaited<ReturnType<typeof startInvokeApi>>;
  let server: RunningServer;
  const problems: { msg?: string; op?: string }[] = [];
  const user = `dora-${randomUUID().slice(0, 8)}@example.net`;
  const password = 'pw-dora-lambda';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-lambda-'));
    // Fresh tables on DynamoDB Local and the settings the stack gives every function (cdk/stack.ts), pointed at the
    // local services; the handlers read process.env on their first invocation, as in Lambda.
    Object.assign(process.env, {
      ...(await awsStoreSettings('lambda')),
      STRATUS_PRESIGN_SECONDS: '300',
      STRATUS_LOG_LEVEL: 'warn',
    });
    const handlers: Record<string, Handler> = {};
    for (const family of FRONTEND_FAMILIES) {
      const bundle = bundleFunction(family, join(dir, 'bundles'));
      const mod = (await import(pathToFileURL(join(bundle, 'index.mjs')).href)) as { handler: Handler };
      handlers[`stratus-${family}`] = mod.handler;
    }
    api = await startInvokeApi(handlers);

    // The frontend as the stack configures it: no token key, no S3 access needed, functions by name.
    const env: Record<string, string | undefined> = { ...process.env, STRATUS_TOKEN_KEY: undefined, STRATUS_PRESIGN_SECONDS: undefined };
    Object.assign(env, {
      STRATUS_FUNCTIONS: 'lambda',
      STRATUS_LAMBDA_ENDPOINT: api.url,
      STRATUS_LAMBDA_TIMEOUT_MS: '5000',
      STRATUS_IMAP_PORT: '0',
      STRATUS_ADMIN_PORT: 'off',
      STRATUS_POP3_PORT: 'off',
      STRATUS_LMTP_PORT: 'off',
      STRATUS_HEALTH_PORT: '0',
      STRATUS_ALLOW_PLAINTEXT_AUTH: 'true',
      STRATUS_AUTH_FAILURE_DELAY_MS: '10',
      STRATUS_DATA_DIR: dir,
    });
    for (const family of FRONTEND_FAMILIES) env[`STRATUS_FUNCTION_${family.toUpperCase()}`] = `stratus-${family}`;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) problems.push(JSON.parse(line) as { msg?: string });
        done();
      },
    });
    server = await startServer(loadConfig(env), pino({ level: 'warn' }, sink));
    // Provisioning goes straight to the tables (the admin function will do this in AWS).
    await addUser(server.store.ctx, user, password);
  });

  after(async () => {
    await server?.stop();
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const client = () =>
    new ImapFlow({ host: '127.0.0.1', port: server.imapPort!, secure: false, logger: false, auth: { user, pass: password }, disableAutoIdle: true });

  it('serves an IMAP session through the Lambda Invoke API: login, APPEND via a presigned PUT, FETCH via a presigned GET', async () => {
    const c = client();
    await c.connect();
    try {
      const list = await c.list();
      assert.ok(list.some((m) => m.path === 'INBOX'));
      const quota = await c.getQuota('INBOX');
      assert.ok(quota, 'GETQUOTAROOT through the quota function');
      const appended = await c.append('INBOX', MESSAGE, ['\\Seen']);
      assert.ok(appended && appended.uid === 1);
      const lock = await c.getMailboxLock('INBOX');
      try {
        const msg = await c.fetchOne('1', { envelope: true, source: true, flags: true });
        assert.ok(msg);
        assert.equal(msg.envelope?.subject, 'through the lambdas');
        assert.equal(msg.source?.toString('utf8'), MESSAGE);
        assert.ok(msg.flags?.has('\\Seen'));
        // A partial body read: the presigned GET carries a Range.
        const partial = await c.fetchOne('1', { bodyParts: ['TEXT'] });
        assert.equal(partial && partial.bodyParts?.get('text')?.toString('utf8'), 'Hello from a presigned URL.\r\n');
        await c.messageFlagsAdd('1', ['\\Flagged']);
        const again = await c.fetchOne('1', { flags: true });
        assert.ok(again && again.flags?.has('\\Flagged'));
      } finally {
        lock.release();
      }
    } finally {
      await c.logout();
    }
    // MYRIGHTS (RFC 4314 §3.5) through the acl function: imapflow's APPENDs use LITERAL+, which no longer asks
    // for the rights before the bytes arrive, so the flow above does not reach that family on its own.
    const raw = await RawClient.connect(server.imapPort!);
    try {
      assert.match(await raw.command('a1', `LOGIN ${user} ${password}`), /a1 OK/);
      assert.match(await raw.command('a2', 'MYRIGHTS INBOX'), /\* MYRIGHTS "INBOX" "lrswipkxteacd"\r\na2 OK/);
      assert.match(await raw.command('a3', 'LOGOUT'), /a3 OK/);
    } finally {
      raw.socket.destroy();
    }
    // Every family the frontend calls was reached through the HTTP Invoke API (admin is API Gateway's, ingest SES's).
    for (const family of FRONTEND_FAMILIES) assert.ok(api.calls.includes(`stratus-${family}`), family);
    // The frontend never read or wrote a blob itself: bytes went through the URLs.
    assert.equal(server.store.meter.snapshot().blob, 0);
  });

  it('answers NO [UNAVAILABLE] when a function fails, and the session goes on', async () => {
    const c = client();
    await c.connect();
    try {
      api.failNext.add('stratus-mailbox');
      await assert.rejects(c.mailboxCreate('Broken'), (err: { responseText?: string; serverResponseCode?: string }) => {
        assert.equal(err.serverResponseCode, 'UNAVAILABLE');
        return true;
      });
      const created = await c.mailboxCreate('Works');
      assert.equal(created.path, 'Works');
      assert.ok(problems.some((p) => p.msg === 'function call failed'));
    } finally {
      await c.logout();
    }
  });

  it('maps a function that never answers to UNAVAILABLE (client timeout)', async () => {
    api.hang.add('stratus-auth');
    try {
      const invoker = new LambdaInvoker({
        client: makeLambdaClient({ region: 'us-east-1', endpoint: api.url, timeoutMs: 300 }),
        functionNames: { auth: 'stratus-auth' },
      });
      await assert.rejects(invoker.invoke('auth.login', { login: user, password }), (err: unknown) => {
        assert.ok(err instanceof MailStoreError);
        assert.equal(err.code, 'UNAVAILABLE');
        return true;
      });
      // An unconfigured family is UNAVAILABLE too, without any call.
      const empty = new LambdaInvoker({ client: makeLambdaClient({ region: 'us-east-1', endpoint: api.url, timeoutMs: 300 }), functionNames: {} });
      await assert.rejects(empty.invoke('auth.login', { login: user, password }), /STRATUS_FUNCTION_AUTH/);
    } finally {
      api.hang.delete('stratus-auth');
    }
  });

  it('serves GET /health with 200 while running', async () => {
    const res = await fetch(`http://127.0.0.1:${server.healthPort}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'serving' });
  });
});
