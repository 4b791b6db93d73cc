// Shared mailboxes and their ACLs through the admin REST API over real HTTP, seen over real IMAP; a tenant token
// reaches only its own tenant, and an ACL identifier of another tenant is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server/main.js';
import { RawClient } from '../e2e/raw-client.js';

const OPERATOR = 'operator-secret-token';

test('admin API: shared mailboxes and their ACLs, tenant isolation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-acl-admin-'));
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
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const clients: RawClient[] = [];
  try {
    const tenants: string[] = [];
    for (const domain of ['a.example', 'b.example']) {
      const t = (await call('POST', '/tenants', OPERATOR, { name: domain })).json.tenantId as string;
      tenants.push(t);
      assert.equal((await call('POST', `/tenants/${t}/domains`, OPERATOR, { domain })).status, 201);
      assert.equal((await call('POST', `/tenants/${t}/users`, OPERATOR, { login: `bob@${domain}`, password: 'pw' })).status, 201);
    }
    const [a, b] = tenants as [string, string];
    const tokenB = (await call('POST', `/tenants/${b}/tokens`, OPERATOR, { name: 'b' })).json.token as string;

    const created = await call('POST', `/tenants/${a}/shared-mailboxes`, OPERATOR, { name: 'Team' });
    assert.equal(created.status, 201);
    assert.equal(created.json.name, 'Team');
    assert.equal((await call('POST', `/tenants/${a}/shared-mailboxes`, OPERATOR, { name: 'Team' })).status, 409);
    assert.equal((await call('PUT', `/tenants/${a}/shared-mailboxes/Team/acl/anyone`, OPERATOR, { rights: 'lrsi' })).status, 204);
    assert.equal((await call('PUT', `/tenants/${a}/shared-mailboxes/Team/acl/bob@a.example`, OPERATOR, { rights: 'lrswipkxtea' })).status, 204);
    // Identifiers never resolve in another tenant; unknown rights are a 400.
    assert.notEqual((await call('PUT', `/tenants/${a}/shared-mailboxes/Team/acl/bob@b.example`, OPERATOR, { rights: 'lr' })).status, 204);
    assert.equal((await call('PUT', `/tenants/${a}/shared-mailboxes/Team/acl/anyone`, OPERATOR, { rights: 'lrQ' })).status, 400);
    const acl = await call('GET', `/tenants/${a}/shared-mailboxes/Team/acl`, OPERATOR);
    assert.deepEqual(acl.json.entries, [
      { identifier: 'anyone', rights: 'lrsi' },
      { identifier: 'bob@a.example', rights: 'lrswipkxteacd' },
    ]);
    assert.deepEqual(((await call('GET', `/tenants/${a}/shared-mailboxes`, OPERATOR)).json.items as { name: string }[]).map((i) => i.name), ['Team']);

    // A tenant token of b reaches nothing of a.
    assert.equal((await call('GET', `/tenants/${a}/shared-mailboxes`, tokenB)).status, 404);
    assert.equal((await call('GET', `/tenants/${a}/shared-mailboxes/Team/acl`, tokenB)).status, 404);
    assert.deepEqual((await call('GET', `/tenants/${b}/shared-mailboxes`, tokenB)).json.items, []);

    // Over IMAP: bob of a sees and uses Shared/Team; bob of b (same local part) does not.
    const login = async (user: string) => {
      const c = await RawClient.connect(server.imapPort!);
      clients.push(c);
      assert.match(await c.command('L', `LOGIN "${user}" "pw"`), /L OK/);
      return c;
    };
    const bobA = await login('bob@a.example');
    assert.match(await bobA.command('l1', 'LIST "" "Shared/*"'), /\* LIST \([^)]*\) "\/" "Shared\/Team"/);
    assert.match(await bobA.command('m1', 'MYRIGHTS "Shared/Team"'), /\* MYRIGHTS "Shared\/Team" "lrswipkxteacd"/);
    const bobB = await login('bob@b.example');
    assert.doesNotMatch(await bobB.command('l2', 'LIST "" "*"'), /Shared/);
    assert.match(await bobB.command('s2', 'SELECT "Shared/Team"'), /s2 NO/);

    assert.equal((await call('DELETE', `/tenants/${a}/shared-mailboxes/Team/acl/anyone`, OPERATOR)).status, 204);
    // A tenant with no users but a shared mailbox is not deleted behind the operator's back (409), only once it is gone.
    bobA.close();
    assert.equal((await call('DELETE', `/tenants/${a}/users/bob@a.example`, OPERATOR)).status, 204);
    assert.equal((await call('DELETE', `/tenants/${a}`, OPERATOR)).status, 409);
    assert.equal((await call('DELETE', `/tenants/${a}/shared-mailboxes/Team`, OPERATOR)).status, 204);
    assert.equal((await call('DELETE', `/tenants/${a}/shared-mailboxes/Team`, OPERATOR)).status, 404);
    assert.equal((await call('DELETE', `/tenants/${a}`, OPERATOR)).status, 204);
    assert.equal((await call('GET', `/tenants/${a}/shared-mailboxes`, OPERATOR)).status, 404);
  } finally {
    for (const c of clients) c.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
