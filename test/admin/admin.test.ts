// The admin REST API over real HTTP (the server as `stratus serve` wires it), tenant-token isolation, the OpenAPI
// document, and the QUOTA commands over real IMAP for the users the API made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ImapFlow } from 'imapflow';
import { Validator } from '@seriousme/openapi-schema-validator';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server/main.js';
import { ROUTES } from '../../src/admin/routes.js';
import { RawClient } from '../e2e/raw-client.js';

const OPERATOR = 'operator-secret-token';

async function start() {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-admin-'));
  const config = loadConfig({
    STRATUS_DATA_DIR: dir,
    STRATUS_IMAP_PORT: '0',
    STRATUS_ADMIN_PORT: '0',
    STRATUS_POP3_PORT: 'off',
    STRATUS_LMTP_PORT: 'off',
    STRATUS_ADMIN_TOKEN: OPERATOR,
    STRATUS_ALLOW_PLAINTEXT_AUTH: 'true',
    STRATUS_AUTH_FAILURE_DELAY_MS: '0',
  });
  const server = await startServer(config, pino({ level: 'silent' }));
  const base = `http://127.0.0.1:${server.adminPort}`;
  const call = async (method: string, path: string, token: string | null, body?: unknown, raw?: string) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const res = await fetch(base + path, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  return {
    server,
    call,
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('admin API: every route, every error status, tenant isolation; QUOTA over IMAP', async () => {
  const s = await start();
  const { call } = s;
  try {
    // 401: no token, wrong token.
    assert.equal((await call('GET', '/tenants', null)).status, 401);
    const wrong = await call('GET', '/tenants', 'nope');
    assert.equal(wrong.status, 401);
    assert.match(wrong.type, /application\/problem\+json/);
    assert.equal(wrong.json.status, 401);
    assert.deepEqual((await call('GET', '/whoami', OPERATOR)).json, { scope: 'operator' });

    // Tenants: create, list, get, update; 400 bad JSON / bad field; 404 unknown route / tenant; 413 big body.
    const a = await call('POST', '/tenants', OPERATOR, { name: 'Acme', limits: { users: 3 } });
    assert.equal(a.status, 201);
    const ta = a.json.tenantId as string;
    const b = await call('POST', '/tenants', OPERATOR, { name: 'Bolt' });
    const tb = b.json.tenantId as string;
    assert.equal((await call('POST', '/tenants', OPERATOR, undefined, '{not json')).status, 400);
    assert.equal((await call('POST', '/tenants', OPERATOR, { name: '' })).status, 400);
    assert.equal((await call('POST', '/tenants', OPERATOR, { name: 'x', extra: 1 })).status, 400);
    assert.equal((await call('POST', '/tenants', OPERATOR, { name: 'x'.repeat(70_000) })).status, 413);
    assert.equal((await call('GET', '/nowhere', OPERATOR)).status, 404);
    assert.equal((await call('GET', '/tenants/NOPE', OPERATOR)).status, 404);
    const list = await call('GET', '/tenants?limit=10', OPERATOR);
    assert.deepEqual((list.json.items as { name: string }[]).map((t) => t.name).sort(), ['Acme', 'Bolt']);
    assert.equal((await call('GET', '/tenants?limit=0', OPERATOR)).status, 400);
    assert.equal((await call('GET', `/tenants/${ta}`, OPERATOR)).json.name, 'Acme');
    const upd = await call('PATCH', `/tenants/${ta}`, OPERATOR, { limits: { users: 2 } });
    assert.equal((upd.json.limits as { users: number }).users, 2);

    // Domains: both tenants; a domain is owned once (409).
    assert.equal((await call('POST', `/tenants/${ta}/domains`, OPERATOR, { domain: 'acme.test' })).status, 201);
    assert.equal((await call('POST', `/tenants/${tb}/domains`, OPERATOR, { domain: 'bolt.test' })).status, 201);
    assert.equal((await call('POST', `/tenants/${tb}/domains`, OPERATOR, { domain: 'acme.test' })).status, 409);
    assert.equal((await call('POST', `/tenants/${ta}/domains`, OPERATOR, { domain: 'not a domain' })).status, 400);
    assert.deepEqual((await call('GET', `/tenants/${ta}/domains`, OPERATOR)).json.domains, ['acme.test']);

    // Tenant tokens: create, list; whoami; isolation.
    const tok = await call('POST', `/tenants/${ta}/tokens`, OPERATOR, { name: 'acme-admin' });
    assert.equal(tok.status, 201);
    const acme = tok.json.token as string;
    assert.deepEqual((await call('GET', '/whoami', acme)).json, { scope: 'tenant', tenantId: ta });
    assert.equal(((await call('GET', `/tenants/${ta}/tokens`, OPERATOR)).json.items as unknown[]).length, 1);
    assert.equal((await call('GET', '/tenants', acme)).status, 403);
    assert.equal((await call('POST', '/tenants', acme, { name: 'Evil' })).status, 403);
    assert.equal((await call('PATCH', `/tenants/${ta}`, acme, { limits: { users: 100 } })).status, 403);
    assert.equal((await call('DELETE', `/tenants/${ta}`, acme)).status, 403);
    assert.equal((await call('GET', `/tenants/${tb}`, acme)).status, 404);
    assert.equal((await call('GET', `/tenants/${tb}/users`, acme)).status, 404);
    assert.equal((await call('POST', `/tenants/${tb}/users`, acme, { login: 'x@bolt.test', password: 'p' })).status, 404);

    // Users: same local part in both tenants; tenant user limit (422); a login in a foreign domain (404); 409.
    const alice = await call('POST', `/tenants/${ta}/users`, acme, {
      login: 'alice@acme.test',
      password: 'alice-pw',
      quota: { storageKiB: 2, messages: 10 },
    });
    assert.equal(alice.status, 201, JSON.stringify(alice.json));
    assert.equal((await call('POST', `/tenants/${tb}/users`, OPERATOR, { login: 'alice@bolt.test', password: 'bolt-pw' })).status, 201);
    assert.equal((await call('POST', `/tenants/${ta}/users`, acme, { login: 'alice@acme.test', password: 'x' })).status, 409);
    assert.equal((await call('POST', `/tenants/${ta}/users`, acme, { login: 'eve@bolt.test', password: 'x' })).status, 404);
    const boss = await call('POST', `/tenants/${ta}/users`, acme, { login: 'boss@acme.test', password: 'boss-pw', tenantAdmin: true });
    assert.equal(boss.status, 201);
    assert.equal((await call('POST', `/tenants/${ta}/users`, acme, { login: 'third@acme.test', password: 'x' })).status, 422);
    const users = await call('GET', `/tenants/${ta}/users?limit=1`, acme);
    assert.equal((users.json.items as unknown[]).length, 1);
    assert.ok(users.json.cursor, 'paged');
    const next = await call('GET', `/tenants/${ta}/users?limit=1&cursor=${encodeURIComponent(users.json.cursor as string)}`, acme);
    assert.equal((next.json.items as unknown[]).length, 1);
    assert.equal((await call('GET', `/tenants/${ta}/users/alice@bolt.test`, acme)).status, 404);
    const got = await call('GET', `/tenants/${ta}/users/alice@acme.test`, acme);
    assert.deepEqual(got.json.quota, { storageKiB: 2, messages: 10, mailboxes: null });
    const patched = await call('PATCH', `/tenants/${ta}/users/alice@acme.test`, acme, { quota: { mailboxes: 6 } });
    assert.equal((patched.json.quota as { mailboxes: number }).mailboxes, 6);
    assert.equal((await call('PATCH', `/tenants/${ta}/users/alice@acme.test`, acme, { status: 'frozen' })).status, 400);
    assert.equal((await call('PUT', `/tenants/${ta}/users/alice@acme.test/password`, acme, { password: 'new-pw' })).status, 204);
    assert.equal((await call('PUT', `/tenants/${tb}/users/alice@bolt.test/password`, acme, { password: 'x' })).status, 404);

    // Aliases and app passwords.
    assert.equal((await call('POST', `/tenants/${ta}/aliases`, acme, { address: 'sales@acme.test', login: 'alice@acme.test' })).status, 201);
    assert.equal((await call('POST', `/tenants/${ta}/aliases`, acme, { address: 'boss@acme.test', login: 'alice@acme.test' })).status, 409);
    assert.equal((await call('POST', `/tenants/${ta}/aliases`, acme, { address: 'x@bolt.test', login: 'alice@acme.test' })).status, 404);
    assert.deepEqual((await call('GET', `/tenants/${ta}/aliases`, acme)).json.items, [{ address: 'sales@acme.test', login: 'alice@acme.test' }]);
    const app = await call('POST', `/tenants/${ta}/users/alice@acme.test/app-passwords`, acme, { name: 'phone' });
    assert.equal(app.status, 201);
    const appPw = app.json.password as string;
    const apps = await call('GET', `/tenants/${ta}/users/alice@acme.test/app-passwords`, acme);
    assert.deepEqual((apps.json.items as { name: string }[]).map((x) => x.name), ['phone']);
    assert.ok(!JSON.stringify(apps.json).includes(appPw), 'no secrets in listings');

    // IMAP: the app password logs in; GETQUOTAROOT; SETQUOTA NOPERM for a normal user; APPEND over quota.
    const port = s.server.imapPort!;
    const rawAlice = await RawClient.connect(port);
    assert.match(await rawAlice.command('l', `LOGIN alice@acme.test "${appPw}"`), /l OK/);
    assert.match(await rawAlice.command('c', 'CAPABILITY'), /QUOTA=RES-STORAGE QUOTA=RES-MESSAGE QUOTA=RES-MAILBOX QUOTASET/);
    const qr = await rawAlice.command('q', 'GETQUOTAROOT INBOX');
    assert.match(qr, /\* QUOTAROOT "?INBOX"? ""\r\n\* QUOTA "" \(STORAGE 0 2 MESSAGE 0 10 MAILBOX 6 6\)\r\nq OK/);
    assert.match(await rawAlice.command('s', 'SETQUOTA "" (STORAGE 100000)'), /s NO \[NOPERM\]/);
    assert.match(await rawAlice.command('m', 'CREATE Extra'), /m NO \[OVERQUOTA\]/);
    const big = `Subject: big\r\n\r\n${'y'.repeat(3000)}\r\n`;
    assert.match(await rawAlice.command('a', `APPEND INBOX {${big.length}+}\r\n${big}`), /a NO \[OVERQUOTA\]/);
    assert.match(await rawAlice.command('g', 'GETQUOTA ""'), /\* QUOTA "" \(STORAGE 0 2 MESSAGE 0 10 MAILBOX 6 6\)\r\ng OK/);
    assert.match(await rawAlice.command('o', 'GETQUOTA "boss@acme.test"'), /o NO \[NONEXISTENT\]/);
    rawAlice.close();
    // The tenant admin may SETQUOTA for a user of the tenant, not for another tenant's user of the same name.
    const rawBoss = await RawClient.connect(port);
    assert.match(await rawBoss.command('l', 'LOGIN boss@acme.test boss-pw'), /l OK/);
    assert.match(await rawBoss.command('s', 'SETQUOTA "alice@acme.test" (STORAGE 8 MESSAGE 10 MAILBOX 7)'), /\* QUOTA "alice@acme.test" \(STORAGE 0 8 MESSAGE 0 10 MAILBOX 6 7\)\r\ns OK/);
    assert.match(await rawBoss.command('x', 'SETQUOTA "alice@bolt.test" (STORAGE 1)'), /x NO \[NONEXISTENT\]/);
    rawBoss.close();
    const flow = new ImapFlow({ host: '127.0.0.1', port, secure: false, logger: false, auth: { user: 'alice@acme.test', pass: 'new-pw' } });
    await flow.connect();
    assert.ok(await flow.append('INBOX', big));
    await flow.logout();
    const usage = await call('GET', `/tenants/${ta}/users/alice@acme.test`, acme);
    assert.equal((usage.json.usage as { bytes: number }).bytes, big.length);
    const tenantUsage = await call('GET', `/tenants/${ta}/usage`, acme);
    assert.deepEqual(tenantUsage.json.usage, { users: 2, bytes: big.length, messages: 1, mailboxes: 12 });

    // Revocations and deletions.
    assert.equal((await call('DELETE', `/tenants/${ta}/users/alice@acme.test/app-passwords/${app.json.id as string}`, acme)).status, 204);
    const denied = await RawClient.connect(port);
    assert.match(await denied.command('l', `LOGIN alice@acme.test "${appPw}"`), /l NO \[AUTHENTICATIONFAILED\]/);
    denied.close();
    assert.equal((await call('DELETE', `/tenants/${ta}/users/alice@acme.test/app-passwords/${app.json.id as string}`, acme)).status, 404);
    assert.equal((await call('DELETE', `/tenants/${ta}/aliases/sales@acme.test`, acme)).status, 204);
    assert.equal((await call('DELETE', `/tenants/${ta}/aliases/sales@acme.test`, acme)).status, 404);
    assert.equal((await call('DELETE', `/tenants/${ta}/domains/acme.test`, acme)).status, 409);
    assert.equal((await call('DELETE', `/tenants/${ta}`, OPERATOR)).status, 409);
    assert.equal((await call('DELETE', `/tenants/${tb}/users/alice@bolt.test`, acme)).status, 404);
    assert.equal((await call('DELETE', `/tenants/${ta}/users/alice@acme.test`, acme)).status, 204);
    assert.equal((await call('DELETE', `/tenants/${ta}/users/boss@acme.test`, acme)).status, 204);
    assert.equal((await call('GET', `/tenants/${ta}/users/alice@acme.test`, acme)).status, 404);
    assert.equal((await call('GET', `/tenants/${tb}/users/alice@bolt.test`, OPERATOR)).status, 200, 'the other tenant is untouched');
    assert.equal((await call('DELETE', `/tenants/${ta}/domains/acme.test`, acme)).status, 204);
    const tokens = await call('GET', `/tenants/${ta}/tokens`, OPERATOR);
    const tokenId = (tokens.json.items as { id: string }[])[0]!.id;
    assert.equal((await call('DELETE', `/tenants/${ta}/tokens/${tokenId}`, OPERATOR)).status, 204);
    assert.equal((await call('GET', `/tenants/${ta}`, acme)).status, 401, 'a revoked token is refused');
    assert.equal((await call('DELETE', `/tenants/${ta}`, OPERATOR)).status, 204);
    assert.equal((await call('GET', `/tenants/${ta}`, OPERATOR)).status, 404);
  } finally {
    await s.close();
  }
});

test('admin API: the OpenAPI document is valid 3.1 and documents every route', async () => {
  const s = await start();
  try {
    const res = await s.call('GET', '/openapi.json', null);
    assert.equal(res.status, 200);
    const validator = new Validator();
    const result = await validator.validate(res.json);
    assert.equal(result.valid, true, JSON.stringify(result.errors));
    assert.equal(res.json.openapi, '3.1.0');
    const paths = res.json.paths as Record<string, Record<string, unknown>>;
    for (const route of ROUTES) assert.ok(paths[route.path]?.[route.method], `${route.method} ${route.path} documented`);
    // And every documented operation is served (a request without a token reaches the route: 401, not 404).
    for (const [path, methods] of Object.entries(paths)) {
      if (path === '/openapi.json') continue;
      for (const method of Object.keys(methods)) {
        const concrete = path.replace(/\{(\w+)\}/g, 'x');
        assert.equal((await s.call(method.toUpperCase(), concrete, null)).status, 401, `${method} ${path}`);
      }
    }
  } finally {
    await s.close();
  }
});
