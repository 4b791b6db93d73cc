// The `stratus` CLI's tenant commands (issue 4) run as an operator runs them, on a fresh data directory: a tenant,
// its domain, a user in it, the user's quota (seen over IMAP GETQUOTAROOT), a tenant token, and the refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe } from './serve-process.js';
import { RawClient } from './raw-client.js';

test('tenant add / domain add / user quota / token add / tenant list / tenant delete', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-cli-'));
  const env = { ...process.env, STRATUS_DATA_DIR: dir, STRATUS_LOG_LEVEL: 'warn' };
  const stratus = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env, encoding: 'utf8' });
    return { status: r.status, out: r.stdout, err: r.stderr };
  };
  try {
    const added = stratus('tenant', 'add', 'Acme');
    assert.equal(added.status, 0, added.err);
    const tenantId = added.out.split('\t')[0]!;
    assert.equal(stratus('domain', 'add', tenantId, 'acme.example').status, 0);
    assert.equal(stratus('user', 'add', 'ann@acme.example', '--password', 'ann password').status, 0);
    assert.match(stratus('tenant', 'list').out, new RegExp(`^${tenantId}\\tAcme\\t\\w+\\t1 users$`, 'm'));

    assert.equal(stratus('user', 'quota', 'ann@acme.example', '--storage-kib', '2048', '--messages', '100').status, 0);
    const bad = stratus('user', 'quota', 'ann@acme.example', '--messages', 'lots');
    assert.equal(bad.status, 1);
    assert.match(bad.err, /whole number or "unlimited"/);
    assert.equal(stratus('user', 'quota', 'nobody@acme.example', '--messages', '1').status, 1);

    const token = stratus('token', 'add', '--tenant', tenantId, '--name', 'ops');
    assert.equal(token.status, 0, token.err);
    assert.ok(token.out.trim().length >= 20, 'the token is printed once');

    // A tenant with a user cannot be deleted.
    const refused = stratus('tenant', 'delete', tenantId);
    assert.equal(refused.status, 1);
    assert.match(refused.err, /still has users/);

    // The quota as IMAP reports it (RFC 9208 GETQUOTAROOT), from a server on the same data directory.
    const serve = await startServe({ ...env, STRATUS_LOG_LEVEL: 'info', STRATUS_IMAP_PORT: '0', STRATUS_IMAPS_PORT: 'off', STRATUS_POP3_PORT: 'off', STRATUS_LMTP_PORT: 'off', STRATUS_ADMIN_PORT: 'off' });
    try {
      const c = await RawClient.connect(serve.imapPort);
      assert.match(await c.command('L', 'LOGIN ann@acme.example "ann password"'), /L OK/);
      const quota = await c.command('Q', 'GETQUOTAROOT INBOX');
      assert.match(quota, /STORAGE 0 2048/);
      assert.match(quota, /MESSAGE 0 100/);
      c.close();
    } finally {
      await serve.stop();
    }
    assert.equal(stratus('nonsense').status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
