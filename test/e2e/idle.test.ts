// IDLE (RFC 2177) in one process, over raw sockets: push between sessions through the in-process hint bus and the
// mailbox cache, DONE at any time (even pipelined with IDLE), IDLE without a selected mailbox, a wrong line instead
// of DONE, and a server shutdown that ends IDLE rather than waiting for the client.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server/main.js';
import { addUser } from '../../src/mailstore/directory.js';
import { rawLogin, within, type Frontends } from './two-frontends.js';

describe('IDLE in one process', () => {
  let dir: string;
  let server: RunningServer;
  let f: Frontends;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-idle-'));
    const config = loadConfig({
      STRATUS_DATA_DIR: dir,
      STRATUS_IMAP_PORT: '0',
      STRATUS_POP3_PORT: 'off',
      STRATUS_LMTP_PORT: 'off',
      STRATUS_AUTH_FAILURE_DELAY_MS: '10',
      STRATUS_MAILBOX_POLL_MS: '3600000',
    });
    server = await startServer(config, pino({ level: 'silent' }));
    await addUser(server.store.ctx, 'idle@example.com', 'pw');
    f = { portA: server.imapPort!, portB: server.imapPort!, user: 'idle@example.com', password: 'pw' };
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pushes another session’s APPEND, STORE and EXPUNGE live, then ends on DONE', async () => {
    const idler = await rawLogin(f, f.portA);
    const writer = await rawLogin(f, f.portA);
    assert.match(await idler.command('S', 'SELECT INBOX'), /\* 0 EXISTS/);
    idler.write('I IDLE\r\n');
    await within(idler.until((t) => t.includes('+ idling\r\n')), '+ idling');
    const raw = 'Subject: live\r\n\r\nbody\r\n';
    writer.write(`A APPEND INBOX {${raw.length}+}\r\n${raw}\r\n`);
    await within(writer.until((t) => /A OK/.test(t)), 'APPEND');
    await within(idler.until((t) => t.includes('* 1 EXISTS\r\n')), 'EXISTS');
    assert.match(await writer.command('W', 'SELECT INBOX'), /W OK/);
    assert.match(await writer.command('T', 'STORE 1 +FLAGS (\\Deleted)'), /T OK/);
    await within(idler.until((t) => /\* 1 FETCH \(UID 1 FLAGS \([^)]*\\Deleted/.test(t)), 'FETCH FLAGS');
    assert.match(await writer.command('X', 'EXPUNGE'), /\* 1 EXPUNGE[\s\S]*X OK/);
    await within(idler.until((t) => t.includes('* 1 EXPUNGE\r\n')), 'EXPUNGE');
    idler.write('DONE\r\n');
    await within(idler.until((t) => /I OK IDLE terminated\r\n/.test(t)), 'tagged OK');
    idler.close();
    writer.close();
  });

  it('DONE pipelined right behind IDLE, and IDLE without a selected mailbox', async () => {
    const c = await rawLogin(f, f.portA);
    c.write('I IDLE\r\nDONE\r\n');
    const text = await within(c.until((t) => /I OK[^\r\n]*\r\n/.test(t)), 'tagged OK');
    assert.match(text, /^\+ idling\r\nI OK IDLE terminated\r\n$/);
    assert.match(await c.command('N', 'NOOP'), /N OK/);
    c.close();
  });

  it('a line other than DONE ends IDLE with BAD, and the session goes on', async () => {
    const c = await rawLogin(f, f.portA);
    assert.match(await c.command('S', 'SELECT INBOX'), /S OK/);
    c.write('I IDLE\r\n');
    await within(c.until((t) => t.includes('+ idling')), '+ idling');
    c.write('NOOP\r\n');
    await within(c.until((t) => /I BAD [^\r\n]*\r\n/.test(t)), 'BAD');
    assert.match(await c.command('N', 'NOOP'), /N OK/);
    c.close();
  });

  it('a server shutdown ends IDLE at once: tagged answer, BYE, close', async () => {
    const c = await rawLogin(f, f.portA);
    c.write('I IDLE\r\n');
    await within(c.until((t) => t.includes('+ idling')), '+ idling');
    await within(server.closeConnections('Restarting'), 'closeConnections', 5_000);
    await within(c.waitClosed(), 'the connection to close');
    c.close();
  });
});
