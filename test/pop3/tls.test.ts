// POP3 over TLS on the wire: POP3S (implicit TLS, RFC 8314) and STLS on the plain port (RFC 2595 §4), with the
// self-signed certificate the server makes on first start. The listener refuses plaintext authentication (as on a
// public address), so STLS is offered, USER/PASS and SASL PLAIN are refused before it and accepted after it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server/main.js';
import { addUser } from '../../src/mailstore/directory.js';
import { listing, RawPop3, unstuff } from './raw-pop3.js';

const USER = 'pop3tls@example.com';
const PASSWORD = 'secret words';
const MESSAGE = 'From: Bob <bob@example.org>\r\nSubject: over tls\r\n\r\n.hello\r\nworld\r\n';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('POP3 TLS: POP3S and STLS', () => {
  let dir: string;
  let server: RunningServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-pop3-tls-'));
    const config = loadConfig({
      STRATUS_DATA_DIR: dir,
      STRATUS_IMAP_PORT: '0',
      STRATUS_ADMIN_PORT: 'off',
      STRATUS_POP3_PORT: '0',
      STRATUS_LMTP_PORT: 'off',
      STRATUS_ALLOW_PLAINTEXT_AUTH: 'false',
      STRATUS_AUTH_FAILURE_DELAY_MS: '10',
    });
    assert.equal(config.pop3sPort, 0, 'an ephemeral POP3 port makes the POP3S default ephemeral too');
    server = await startServer(config, pino({ level: 'silent' }));
    await addUser(server.store.ctx, USER, PASSWORD);
    const imap = new ImapFlow({
      host: '127.0.0.1',
      port: server.imapsPort!,
      secure: true,
      tls: { rejectUnauthorized: false },
      logger: false,
      auth: { user: USER, pass: PASSWORD },
    });
    await imap.connect();
    await imap.append('INBOX', MESSAGE);
    await imap.logout();
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('config: POP3S follows STRATUS_POP3_PORT (0 → 0, off → off) and defaults to 1995', () => {
    assert.equal(loadConfig({ STRATUS_POP3_PORT: '0' }).pop3sPort, 0);
    assert.equal(loadConfig({ STRATUS_POP3_PORT: 'off' }).pop3sPort, 'off');
    assert.equal(loadConfig({}).pop3sPort, 1995);
    assert.equal(loadConfig({ STRATUS_POP3S_PORT: 'off' }).pop3sPort, 'off');
    assert.equal(loadConfig({ STRATUS_POP3_PORT: 'off', STRATUS_POP3S_PORT: '2995' }).pop3sPort, 2995);
  });

  it('POP3S: TLS 1.2+, USER/PASS allowed because the channel is secure, RETR returns the message', async () => {
    assert.ok(server.pop3sPort !== undefined && server.pop3sPort > 0);
    const c = await RawPop3.connectTls(server.pop3sPort);
    assert.match(c.greeting, /^\+OK/);
    assert.ok(['TLSv1.2', 'TLSv1.3'].includes((c.socket as TLSSocket).getProtocol() ?? ''));
    const caps = listing((await c.multiCommand('CAPA')).body);
    assert.ok(caps.includes('USER'));
    assert.ok(caps.includes('SASL PLAIN SCRAM-SHA-256'));
    assert.ok(!caps.includes('STLS'), 'no STLS on a connection that is already TLS');
    assert.match(await c.command('STLS'), /^-ERR/);
    assert.match(await c.login(USER, PASSWORD), /^\+OK Logged in, maildrop has 1 messages/);
    const retr = await c.multiCommand('RETR 1');
    assert.match(retr.status, /^\+OK/);
    assert.equal(unstuff(retr.body), MESSAGE);
    assert.match(await c.command('QUIT'), /^\+OK/);
    await c.waitClosed();
  });

  it('STLS on the plain port: plaintext refused before, accepted after; CAPA changes; STLS twice → -ERR', async () => {
    const c = await RawPop3.connect(server.pop3Port!);
    const before = listing((await c.multiCommand('CAPA')).body);
    assert.ok(before.includes('STLS'));
    assert.ok(!before.includes('USER'));
    assert.ok(before.includes('SASL SCRAM-SHA-256'));
    assert.match(await c.command(`USER ${USER}`), /^-ERR \[AUTH\]/);
    assert.match(await c.command(`AUTH PLAIN ${b64(`\0${USER}\0${PASSWORD}`)}`), /^-ERR \[AUTH\]/);
    assert.match(await c.command('STLS extra'), /^-ERR/);
    assert.match(await c.command('STLS'), /^\+OK/);
    const s = await c.upgrade();
    assert.ok(['TLSv1.2', 'TLSv1.3'].includes((s.socket as TLSSocket).getProtocol() ?? ''));
    const after = listing((await s.multiCommand('CAPA')).body);
    assert.ok(!after.includes('STLS'));
    assert.ok(after.includes('USER'));
    assert.ok(after.includes('SASL PLAIN SCRAM-SHA-256'));
    assert.match(await s.command('STLS'), /^-ERR/);
    assert.match(await s.command(`AUTH PLAIN ${b64(`\0${USER}\0${PASSWORD}`)}`), /^\+OK Logged in/);
    assert.match(await s.command('STLS'), /^-ERR/, 'STLS is not valid in the TRANSACTION state');
    assert.match((await s.multiCommand('RETR 1')).status, /^\+OK/);
    assert.match(await s.command('QUIT'), /^\+OK/);
    await s.waitClosed();
  });

  it('drops plaintext pipelined behind STLS instead of running it after the handshake', async () => {
    const c = await RawPop3.connect(server.pop3Port!);
    c.write(`STLS\r\nUSER ${USER}\r\nPASS ${PASSWORD}\r\n`);
    assert.match(await c.line(), /^\+OK/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(c.pending, '', 'nothing answered in plaintext after STLS');
    const s = await c.upgrade();
    const capa = await s.multiCommand('CAPA');
    assert.equal(capa.status, '+OK Capability list follows', 'the pipelined USER/PASS were never run');
    assert.match(await s.command('STAT'), /^-ERR/, 'still in the AUTHORIZATION state');
    assert.match(await s.command(`PASS ${PASSWORD}`), /^-ERR Send USER first/);
    s.close();
  });
});
