// What a client sees when the store is down (issue 9 item 2), over the wire of `stratus serve` with STRATUS_FAULTS:
// IMAP `NO [UNAVAILABLE]` (RFC 5530 §3), POP3 `-ERR [SYS/TEMP]` (RFC 3206 §4), LMTP 451 4.3.0 (RFC 3463) — the
// connection stays usable, and the same commands succeed once the faults stop.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server/main.js';
import { addUser } from '../../src/mailstore/directory.js';
import type { FaultInjector } from '../../src/storage/faulty.js';
import { RawClient } from '../e2e/raw-client.js';
import { RawPop3 } from '../pop3/raw-pop3.js';
import { LmtpClient } from '../../bench/lmtp-client.js';

const MESSAGE = 'From: a@example.org\r\nTo: alice@example.com\r\nSubject: hi\r\n\r\nhello\r\n';

describe('store down, over the wire', () => {
  let dir: string;
  let server: RunningServer;
  let faults: FaultInjector;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-faults-'));
    const config = loadConfig({
      STRATUS_DATA_DIR: dir,
      STRATUS_IMAP_PORT: '0',
      STRATUS_IMAPS_PORT: 'off',
      STRATUS_ADMIN_PORT: 'off',
      STRATUS_LMTP_PORT: '0',
      STRATUS_POP3_PORT: '0',
      STRATUS_POP3S_PORT: 'off',
      STRATUS_AUTH_FAILURE_DELAY_MS: '10',
      STRATUS_MAILBOX_POLL_MS: '0',
      STRATUS_FAULTS: 'seed=5,unavailable=1',
    });
    server = await startServer(config, pino({ level: 'silent' }));
    faults = server.store.faults!;
    faults.active = false;
    await addUser(server.store.ctx, 'alice@example.com', 'pw');
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('IMAP: NO [UNAVAILABLE] while the store is down, OK afterwards, same connection', async () => {
    const c = await RawClient.connect(server.imapPort!);
    assert.match(await c.command('a1', 'LOGIN alice@example.com pw'), /a1 OK/);
    assert.match(await c.command('a2', 'SELECT INBOX'), /a2 OK/);
    faults.active = true;
    c.write(`a3 APPEND INBOX {${MESSAGE.length}+}\r\n${MESSAGE}\r\n`);
    assert.match(await c.until((t) => /a3 (OK|NO|BAD)[^\r\n]*\r\n/.test(t)), /a3 NO \[UNAVAILABLE\]/);
    assert.match(await c.command('a4', 'STATUS INBOX (MESSAGES)'), /a4 NO \[UNAVAILABLE\]/);
    faults.active = false;
    c.write(`a5 APPEND INBOX {${MESSAGE.length}+}\r\n${MESSAGE}\r\n`);
    assert.match(await c.until((t) => /a5 (OK|NO|BAD)[^\r\n]*\r\n/.test(t)), /a5 OK/);
    assert.match(await c.command('a6', 'STATUS INBOX (MESSAGES)'), /MESSAGES 1\)/);
    await c.command('a7', 'LOGOUT');
  });

  it('POP3: -ERR [SYS/TEMP] while the store is down, +OK afterwards', async () => {
    const p = await RawPop3.connect(server.pop3Port!);
    faults.active = true;
    const refused = await p.login('alice@example.com', 'pw');
    faults.active = false;
    assert.match(refused, /^-ERR \[SYS\/TEMP\]/);
    p.close();
    const p3 = await RawPop3.connect(server.pop3Port!);
    assert.match(await p3.login('alice@example.com', 'pw'), /^\+OK/);
    assert.match(await p3.command('STAT'), /^\+OK 1 /);
    await p3.command('QUIT');
  });

  it('LMTP: 451 4.3.0 while the store is down, 250 afterwards', async () => {
    const { client } = await LmtpClient.open(server.lmtpPort!);
    await client.command('LHLO mx.example.org');
    faults.active = true;
    const rcpt = await client.command('MAIL FROM:<a@example.org>').then(() => client.command('RCPT TO:<alice@example.com>'));
    faults.active = false;
    assert.equal(rcpt.code, 451);
    assert.match(rcpt.text, /^451 4\.3\.0 /);
    assert.equal((await client.command('RCPT TO:<alice@example.com>')).code, 250);
    const { replies } = await client.data(MESSAGE, 1);
    assert.equal(replies[0]?.code, 250);
    await client.close();
  });
});
