// TLS on the wire: IMAPS (implicit TLS, RFC 8314) and STARTTLS on the plain port (RFC 9051 §6.2.1) with the
// self-signed certificate the server makes on first start; TLS 1.2 or newer only; a listener that refuses plaintext
// authentication (as on a non-loopback address) says LOGINDISABLED and refuses LOGIN until STARTTLS, then accepts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server/main.js';
import { addUser } from '../../src/mailstore/directory.js';

const USER = 'tls@example.com';
const PASSWORD = 'secret words';

/** A line-oriented client over a socket that can be replaced by its TLS upgrade. */
class WireClient {
  private buffer = '';
  private waiters: (() => void)[] = [];
  constructor(public socket: net.Socket) {
    this.attach(socket);
  }
  attach(socket: net.Socket): void {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
  }
  async until(done: (text: string) => boolean): Promise<string> {
    while (!done(this.buffer)) await new Promise<void>((resolve) => this.waiters.push(resolve));
    const text = this.buffer;
    this.buffer = '';
    return text;
  }
  async command(tag: string, line: string): Promise<string> {
    this.socket.write(`${tag} ${line}\r\n`);
    return this.until((t) => new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`).test(t));
  }
  /** Hands the plain socket to a TLS client handshake and continues on the secure socket. */
  async upgrade(): Promise<tls.TLSSocket> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    const secure = tls.connect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.attach(secure);
    return secure;
  }
}

async function connectPlain(port: number): Promise<{ client: WireClient; greeting: string }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const client = new WireClient(socket);
  const greeting = await client.until((t) => t.includes('\r\n'));
  return { client, greeting };
}

describe('TLS: IMAPS and STARTTLS', () => {
  let dir: string;
  let server: RunningServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-tls-'));
    const config = loadConfig({
      STRATUS_DATA_DIR: dir,
      STRATUS_IMAP_PORT: '0',
      STRATUS_ADMIN_PORT: 'off',
      STRATUS_POP3_PORT: 'off',
      STRATUS_LMTP_PORT: 'off',
      // As on a public address: no password over an unprotected channel.
      STRATUS_ALLOW_PLAINTEXT_AUTH: 'false',
      STRATUS_AUTH_FAILURE_DELAY_MS: '10',
    });
    assert.equal(config.imapsPort, 0, 'an ephemeral IMAP port makes the IMAPS default ephemeral too');
    server = await startServer(config, pino({ level: 'silent' }));
    await addUser(server.store.ctx, USER, PASSWORD);
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes a self-signed certificate in the data directory, key readable by the owner only', () => {
    const key = statSync(join(dir, 'tls', 'key.pem'));
    assert.equal(key.mode & 0o777, 0o600);
    assert.ok(statSync(join(dir, 'tls', 'cert.pem')).size > 0);
    assert.ok(server.imapsPort !== undefined && server.imapsPort > 0);
  });

  it('serves imapflow over IMAPS, where plaintext LOGIN is allowed because the channel is secure', async () => {
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: server.imapsPort!,
      secure: true,
      tls: { rejectUnauthorized: false },
      logger: false,
      auth: { user: USER, pass: PASSWORD },
    });
    await client.connect();
    assert.ok(client.secureConnection);
    const boxes = await client.list();
    assert.ok(boxes.some((b) => b.path === 'INBOX'));
    await client.append('INBOX', 'Subject: over tls\r\n\r\nhello\r\n');
    const status = await client.status('INBOX', { messages: true });
    assert.ok(status && status.messages === 1);
    await client.logout();
  });

  it('refuses TLS older than 1.2 on IMAPS', async () => {
    const attempt = tls.connect({ host: '127.0.0.1', port: server.imapsPort!, rejectUnauthorized: false, minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
    const outcome = await new Promise<string>((resolve) => {
      attempt.once('secureConnect', () => resolve('connected'));
      attempt.once('error', (err) => resolve(`error: ${err.message}`));
    });
    attempt.destroy();
    assert.match(outcome, /^error/);
  });

  it('offers STARTTLS with LOGINDISABLED, refuses LOGIN before it and accepts it after; CAPABILITY changes', async () => {
    const { client, greeting } = await connectPlain(server.imapPort!);
    assert.match(greeting, /STARTTLS/);
    assert.match(greeting, /LOGINDISABLED/);
    assert.doesNotMatch(greeting, /AUTH=PLAIN/);
    assert.match(await client.command('a1', `LOGIN "${USER}" "${PASSWORD}"`), /a1 NO \[PRIVACYREQUIRED\]/);
    assert.match(await client.command('a2', 'STARTTLS'), /a2 OK/);
    const secure = await client.upgrade();
    assert.ok(['TLSv1.2', 'TLSv1.3'].includes(secure.getProtocol() ?? ''));
    const caps = await client.command('a3', 'CAPABILITY');
    assert.doesNotMatch(caps, /STARTTLS/);
    assert.doesNotMatch(caps, /LOGINDISABLED/);
    assert.match(caps, /AUTH=PLAIN/);
    assert.match(await client.command('a4', 'STARTTLS'), /a4 BAD/);
    assert.match(await client.command('a5', `LOGIN "${USER}" "${PASSWORD}"`), /a5 OK/);
    assert.match(await client.command('a6', 'LOGOUT'), /a6 OK/);
    secure.destroy();
  });

  it('drops plaintext pipelined behind STARTTLS instead of running it after the handshake', async () => {
    const { client } = await connectPlain(server.imapPort!);
    client.socket.write(`b1 STARTTLS\r\nb2 LOGIN "${USER}" "${PASSWORD}"\r\n`);
    const answer = await client.until((t) => /b1 OK[^\r\n]*\r\n/.test(t));
    assert.doesNotMatch(answer, /b2/);
    const secure = await client.upgrade();
    const noop = await client.command('b3', 'NOOP');
    assert.doesNotMatch(noop, /b2/);
    assert.match(await client.command('b4', 'CAPABILITY'), /LOGINDISABLED|AUTH=PLAIN/);
    assert.match(await client.command('b5', 'SELECT INBOX'), /b5 BAD/, 'still not authenticated: b2 never ran');
    secure.destroy();
  });

  it('lets imapflow upgrade with STARTTLS on its own and log in', async () => {
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: server.imapPort!,
      secure: false,
      tls: { rejectUnauthorized: false },
      logger: false,
      auth: { user: USER, pass: PASSWORD },
    });
    await client.connect();
    assert.ok(client.secureConnection, 'imapflow used STARTTLS');
    const mailbox = await client.mailboxOpen('INBOX');
    assert.ok(mailbox.exists >= 1);
    await client.logout();
  });
});
