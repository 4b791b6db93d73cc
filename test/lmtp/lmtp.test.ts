// LMTP over real TCP against the server exactly as `stratus serve` wires it: per-recipient replies at RCPT and after
// DATA, the message in exactly the right INBOXes (seen by a real IMAP client), no second copy on a retried delivery,
// and bad input answered with the right codes while the session goes on.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server/main.js';
import { addUser } from '../../src/mailstore/directory.js';
import { keys } from '../../src/mailstore/keys.js';
import { LmtpClient } from '../../bench/lmtp-client.js';

const MAX = 64 * 1024;

function message(id: string, subject: string, body = 'Hello from LMTP.\r\n.leading dot line\r\n'): string {
  return `From: Sender <sender@example.org>\r\nTo: team@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${id}@example.org>\r\n\r\n${body}`;
}

describe('LMTP listener', () => {
  let dir: string;
  let server: RunningServer;
  let lmtpPort: number;

  const imap = async (user: string): Promise<ImapFlow> => {
    const c = new ImapFlow({
      host: '127.0.0.1',
      port: server.imapPort!,
      secure: false,
      logger: false,
      auth: { user, pass: 'pw' },
      disableAutoIdle: true,
    });
    await c.connect();
    return c;
  };

  const session = async (): Promise<LmtpClient> => {
    const { client, greeting } = await LmtpClient.open(lmtpPort);
    assert.equal(greeting.code, 220);
    assert.match(greeting.text, /LMTP/);
    const lhlo = await client.command('LHLO mx.example.org');
    assert.equal(lhlo.code, 250);
    return client;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-lmtp-'));
    const config = loadConfig({
      STRATUS_DATA_DIR: dir,
      STRATUS_IMAP_PORT: '0',
      STRATUS_ADMIN_PORT: 'off',
      STRATUS_LMTP_PORT: '0',
      STRATUS_POP3_PORT: 'off',
      STRATUS_POP3S_PORT: 'off',
      STRATUS_MAX_MESSAGE_BYTES: String(MAX),
      STRATUS_AUTH_FAILURE_DELAY_MS: '10',
      STRATUS_LOG_LEVEL: 'warn',
    });
    server = await startServer(config, pino({ level: 'silent' }));
    lmtpPort = server.lmtpPort!;
    for (const u of ['alice', 'bob', 'carol']) await addUser(server.store.ctx, `${u}@example.com`, 'pw');
    const carol = await server.store.ctx.kv.get('mail', keys.login('carol@example.com'));
    await server.store.ctx.kv.update('mail', keys.user(carol!.userId as never), { set: { quotaBytes: 200 } });
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('advertises the LMTP extensions and no STARTTLS/AUTH without TLS', async () => {
    const { client } = await LmtpClient.open(lmtpPort);
    const lhlo = await client.command('LHLO mx.example.org');
    const caps = lhlo.lines.map((l) => l.slice(4));
    for (const cap of ['PIPELINING', 'ENHANCEDSTATUSCODES', '8BITMIME', `SIZE ${MAX}`]) assert.ok(caps.includes(cap), cap);
    assert.ok(!caps.some((c) => c.startsWith('STARTTLS') || c.startsWith('AUTH')), caps.join(','));
    assert.equal((await client.command('QUIT')).code, 221);
    await client.close();
  });

  it('answers each of three recipients (delivered, unknown, over quota) and the message lands only in alice\'s INBOX', async (t) => {
    const watcher = await imap('alice@example.com');
    await watcher.mailboxOpen('INBOX');
    const idle = watcher.capabilities.has('IDLE');
    t.diagnostic(idle ? 'IMAP offers IDLE: the arrival is checked under IDLE' : 'IMAP does not offer IDLE (yet): the arrival is checked by NOOP');
    const arrived = once(watcher, 'exists');
    const idling = idle ? watcher.idle() : undefined;

    const client = await session();
    assert.match((await client.command('MAIL FROM:<sender@example.org> SIZE=400 BODY=8BITMIME')).text, /^250 2\.1\.0 /);
    assert.match((await client.command('RCPT TO:<alice@example.com>')).text, /^250 2\.1\.5 /);
    assert.match((await client.command('RCPT TO:<nobody@example.com>')).text, /^550 5\.1\.1 /);
    assert.match((await client.command('RCPT TO:<carol@example.com>')).text, /^250 2\.1\.5 /);
    const body = message('three', 'Three recipients', 'x'.repeat(300) + '\r\n');
    const { start, replies } = await client.data(body, 2);
    assert.equal(start.code, 354);
    assert.match(replies[0]!.text, /^250 2\.0\.0 <alice@example\.com> delivered to INBOX, UID 1$/);
    assert.match(replies[1]!.text, /^452 4\.2\.2 <carol@example\.com> mailbox is full$/);
    assert.equal((await client.command('QUIT')).code, 221);
    await client.close();

    // An IMAP session on alice's INBOX learns of it: by IDLE when the server offers it, else by NOOP.
    if (idle) {
      const [event] = (await arrived) as [{ count: number }];
      assert.equal(event.count, 1);
      await watcher.noop(); // ends IDLE
      await idling;
    } else {
      await watcher.noop();
      const [event] = (await arrived) as [{ count: number }];
      assert.equal(event.count, 1);
    }
    const fetched = await watcher.fetchOne('1', { source: true, envelope: true }, { uid: true });
    assert.ok(fetched);
    assert.equal(fetched.envelope?.subject, 'Three recipients');
    const source = fetched.source!.toString('latin1');
    assert.match(source, /^Return-Path: <sender@example\.org>\r\nDelivered-To: alice@example\.com\r\nReceived: from mx\.example\.org /);
    assert.ok(source.endsWith(body), 'the original bytes follow the trace headers unchanged');
    await watcher.logout();

    for (const [user, count] of [['bob', 0], ['carol', 0]] as const) {
      const c = await imap(`${user}@example.com`);
      const status = await c.status('INBOX', { messages: true });
      assert.equal(status && status.messages, count, user);
      await c.logout();
    }
  });

  it('does not store a repeated delivery of the same message to the same recipient', async () => {
    const body = message('repeat', 'Delivered once');
    for (let attempt = 0; attempt < 2; attempt++) {
      const client = await session();
      await client.command('MAIL FROM:<sender@example.org>');
      await client.command('RCPT TO:<bob@example.com>');
      const { replies } = await client.data(body, 1);
      assert.match(replies[0]!.text, /^250 2\.0\.0 <bob@example\.com> delivered to INBOX, UID 1/);
      if (attempt === 1) assert.match(replies[0]!.text, /already delivered/);
      await client.command('QUIT');
      await client.close();
    }
    const c = await imap('bob@example.com');
    const status = await c.status('INBOX', { messages: true });
    assert.equal(status && status.messages, 1);
    await c.logout();
  });

  it('answers bad input with the right codes and the session continues', async () => {
    const client = await session();
    assert.match((await client.command('HELO mx.example.org')).text, /^500 /); // LMTP has LHLO only
    assert.match((await client.command('FROB')).text, /^500 5\.5\.2 /);
    assert.match((await client.command('RCPT TO:<alice@example.com>')).text, /^503 5\.5\.1 /); // before MAIL
    assert.match((await client.command('DATA')).text, /^503 5\.5\.1 /); // before RCPT
    assert.match((await client.command('MAIL FROM:<sender@example.org> SIZE=999999999')).text, /^552 5\.3\.4 /);
    assert.match((await client.command('MAIL FROM:<sender@example.org>')).text, /^250 /);
    assert.match((await client.command('MAIL FROM:<sender@example.org>')).text, /^503 5\.5\.1 /); // nested MAIL
    assert.match((await client.command('RCPT TO:<not an address>')).text, /^501 /);
    assert.match((await client.command('NOOP')).text, /^250 /);
    assert.match((await client.command('RCPT TO:<alice@example.com>')).text, /^250 /);
    assert.match((await client.command('RCPT TO:<bob@example.com>')).text, /^250 /);
    // Oversized DATA: one 552 5.3.4 per recipient, nothing stored, and the session still works.
    const big = message('big', 'Too big', ('y'.repeat(998) + '\r\n').repeat(70));
    const { replies } = await client.data(big, 2);
    assert.deepEqual(replies.map((r) => r.text.slice(0, 9)), ['552 5.3.4', '552 5.3.4']);
    assert.match((await client.command('RSET')).text, /^250 /);
    assert.match((await client.command('RCPT TO:<alice@example.com>')).text, /^503 /); // RSET ended the transaction
    await client.command('MAIL FROM:<>');
    await client.command('RCPT TO:<alice@example.com>');
    const ok = await client.data(message('after-bad', 'After bad input'), 1);
    assert.match(ok.replies[0]!.text, /^250 2\.0\.0 <alice@example\.com> delivered to INBOX, UID 2$/);
    assert.equal((await client.command('QUIT')).code, 221);
    await client.close();

    const c = await imap('alice@example.com');
    await c.mailboxOpen('INBOX');
    const subjects: string[] = [];
    for await (const m of c.fetch('1:*', { envelope: true })) subjects.push(m.envelope?.subject ?? '');
    assert.deepEqual(subjects, ['Three recipients', 'After bad input']);
    const second = await c.fetchOne('2', { source: true });
    assert.match(second && second.source ? second.source.toString() : '', /^Return-Path: <>\r\n/);
    await c.logout();
  });

  it('ends a session after too many unknown commands', async () => {
    const client = await session();
    let last = await client.command('X1');
    for (let i = 2; i <= 10 && last.code === 500; i++) last = await client.command(`X${i}`);
    assert.equal(last.code, 421);
    await client.close();
  });
});
