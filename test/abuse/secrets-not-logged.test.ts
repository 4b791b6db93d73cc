// Secrets never reach the log (issue 9 item 6): with logging at its most verbose, sign in every way a client can
// (IMAP LOGIN and AUTHENTICATE PLAIN, right and wrong; POP3 USER/PASS and AUTH PLAIN) and use the admin API with the
// operator token (creating a user with a password, setting it again), then search everything logged for each secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server/main.js';
import { addUser } from '../../src/mailstore/directory.js';
import { RawClient } from '../e2e/raw-client.js';
import { RawPop3 } from '../pop3/raw-pop3.js';

const OPERATOR = 'op-token-Zq7vLm2XwP9sKd4R';
const PASSWORD = 'pw-Secret-Hx81Tq';
const WRONG = 'pw-Wrong-Jr55Nc';
const NEW_USER_PASSWORD = 'pw-Created-Vb30Ke';

test('passwords, SASL responses and admin tokens appear nowhere in the log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-secrets-'));
  let log = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      log += chunk.toString('utf8');
      done();
    },
  });
  const config = loadConfig({
    STRATUS_DATA_DIR: dir,
    STRATUS_IMAP_PORT: '0',
    STRATUS_IMAPS_PORT: 'off',
    STRATUS_POP3_PORT: '0',
    STRATUS_POP3S_PORT: 'off',
    STRATUS_ADMIN_PORT: '0',
    STRATUS_LMTP_PORT: 'off',
    STRATUS_ADMIN_TOKEN: OPERATOR,
    STRATUS_AUTH_FAILURE_DELAY_MS: '0',
    STRATUS_LOG_LEVEL: 'trace',
  });
  const server = await startServer(config, pino({ level: 'trace' }, sink));
  try {
    await addUser(server.store.ctx, 'alice@example.com', PASSWORD);
    const plain = Buffer.from(`\0alice@example.com\0${PASSWORD}`).toString('base64');
    const plainWrong = Buffer.from(`\0alice@example.com\0${WRONG}`).toString('base64');

    const imap = await RawClient.connect(server.imapPort!);
    assert.match(await imap.command('a1', `LOGIN alice@example.com ${WRONG}`), /a1 NO/);
    assert.match(await imap.command('a2', `AUTHENTICATE PLAIN ${plainWrong}`), /a2 NO/);
    assert.match(await imap.command('a3', `AUTHENTICATE PLAIN ${plain}`), /a3 OK/);
    await imap.command('a4', 'LOGOUT');
    const imap2 = await RawClient.connect(server.imapPort!);
    assert.match(await imap2.command('b1', `LOGIN "alice@example.com" "${PASSWORD}"`), /b1 OK/);
    await imap2.command('b2', 'LOGOUT');

    const pop = await RawPop3.connect(server.pop3Port!);
    assert.match(await pop.login('alice@example.com', WRONG), /^-ERR/);
    assert.match(await pop.login('alice@example.com', PASSWORD), /^\+OK/);
    await pop.command('QUIT');
    const pop2 = await RawPop3.connect(server.pop3Port!);
    assert.match(await pop2.command(`AUTH PLAIN ${plain}`), /^\+OK/);
    await pop2.command('QUIT');

    const base = `http://127.0.0.1:${server.adminPort}`;
    const headers = { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' };
    const tenant = await fetch(`${base}/tenants`, { method: 'POST', headers, body: JSON.stringify({ name: 'acme' }) });
    assert.equal(tenant.status, 201);
    const { tenantId } = (await tenant.json()) as { tenantId: string };
    await fetch(`${base}/tenants/${tenantId}/domains`, { method: 'POST', headers, body: JSON.stringify({ domain: 'acme.example' }) });
    const user = await fetch(`${base}/tenants/${tenantId}/users`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ login: 'bob@acme.example', password: NEW_USER_PASSWORD }),
    });
    assert.ok(user.status < 300, `create user: ${user.status} ${await user.text()}`);
    await fetch(`${base}/tenants/${tenantId}/users/bob%40acme.example/password`, { method: 'PUT', headers, body: JSON.stringify({ password: `${NEW_USER_PASSWORD}2` }) });
    await fetch(`${base}/whoami`, { headers: { authorization: `Bearer ${OPERATOR}x` } });
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(log.length > 0 && log.includes('authenticated'), 'the log captured the sessions');
  const plainB64 = Buffer.from(`\0alice@example.com\0${PASSWORD}`).toString('base64');
  for (const secret of [PASSWORD, WRONG, NEW_USER_PASSWORD, OPERATOR, plainB64, PASSWORD.slice(3, 12), OPERATOR.slice(9, 20)]) {
    assert.ok(!log.includes(secret), `"${secret}" was logged`);
  }
});
