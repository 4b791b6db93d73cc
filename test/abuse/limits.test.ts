// Abuse controls over the wire (issue 9 item 6): connections per client address, sessions per user, failed logins
// per address across connections, and the per-connection command rate (commands over it wait, none is dropped).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server/main.js';
import { addUser } from '../../src/mailstore/directory.js';
import { TokenBucket } from '../../src/server/connection-limits.js';
import { RawClient } from '../e2e/raw-client.js';
import { RawPop3 } from '../pop3/raw-pop3.js';

async function serve(env: Record<string, string>): Promise<{ server: RunningServer; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-abuse-'));
  const config = loadConfig({
    STRATUS_DATA_DIR: dir,
    STRATUS_IMAP_PORT: '0',
    STRATUS_IMAPS_PORT: 'off',
    STRATUS_POP3_PORT: '0',
    STRATUS_POP3S_PORT: 'off',
    STRATUS_ADMIN_PORT: 'off',
    STRATUS_LMTP_PORT: 'off',
    STRATUS_AUTH_FAILURE_DELAY_MS: '0',
    ...env,
  });
  const server = await startServer(config, pino({ level: 'silent' }));
  for (const u of ['alice', 'bob']) await addUser(server.store.ctx, `${u}@example.com`, 'pw');
  return {
    server,
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('connections per address', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  before(async () => (s = await serve({ STRATUS_MAX_CONNECTIONS_PER_IP: '3' })));
  after(async () => s.close());

  it('refuses the connection over the limit in each protocol, and takes new ones once one closes', async () => {
    const open = [await RawClient.connect(s.server.imapPort!), await RawClient.connect(s.server.imapPort!), await RawPop3.connect(s.server.pop3Port!)];
    // Over the limit: IMAP says BYE at once (RFC 9051 §7.1.5), POP3 -ERR [SYS/TEMP] (RFC 3206 §4); both close.
    const net = await import('node:net');
    const refused = async (port: number): Promise<string> => {
      const socket = net.connect(port, '127.0.0.1');
      let text = '';
      socket.setEncoding('latin1').on('data', (d: string) => {
        text += d;
        if (text.startsWith('* OK')) socket.destroy(); // admitted: that is all we wanted to know
      });
      await new Promise((resolve) => socket.once('close', resolve));
      return text;
    };
    assert.match(await refused(s.server.imapPort!), /^\* BYE Too many connections from your address/);
    assert.match(await refused(s.server.pop3Port!), /^-ERR \[SYS\/TEMP\] Too many connections/);
    const first = open[0] as RawClient;
    await first.command('a1', 'LOGOUT');
    await first.waitClosed();
    // The server frees the slot when it sees the close, a moment after the client does: try until it has.
    let greeting = '';
    for (let attempt = 0; attempt < 50 && !greeting.startsWith('* OK'); attempt++) {
      greeting = await refused(s.server.imapPort!).catch(() => '');
      if (!greeting.startsWith('* OK')) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.match(greeting, /^\* OK/);
    for (const c of open.slice(1)) (c as { socket: { destroy(): void } }).socket.destroy();
  });
});

describe('sessions per user', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  before(async () => (s = await serve({ STRATUS_MAX_SESSIONS_PER_USER: '2' })));
  after(async () => s.close());

  it('a user over the limit is refused in IMAP and POP3, other users are not, and a logout frees a slot', async () => {
    const a = await RawClient.connect(s.server.imapPort!);
    const b = await RawClient.connect(s.server.imapPort!);
    const c = await RawClient.connect(s.server.imapPort!);
    assert.match(await a.command('a1', 'LOGIN alice@example.com pw'), /a1 OK/);
    assert.match(await b.command('b1', 'LOGIN alice@example.com pw'), /b1 OK/);
    assert.match(await c.command('c1', 'LOGIN alice@example.com pw'), /c1 NO \[UNAVAILABLE\] Maximum number of connections for this user/);
    const p = await RawPop3.connect(s.server.pop3Port!);
    assert.match(await p.login('alice@example.com', 'pw'), /^-ERR \[IN-USE\] Maximum number of connections/);
    assert.match(await c.command('c2', 'LOGIN bob@example.com pw'), /c2 OK/);
    await a.command('a2', 'LOGOUT');
    await a.waitClosed();
    // The slot is freed when the server sees the close, a moment after the client does: try until it has.
    const d = await RawClient.connect(s.server.imapPort!);
    let answer = '';
    for (let attempt = 0; attempt < 50 && !/d\d+ OK/.test(answer); attempt++) {
      answer = await d.command(`d${attempt}`, 'LOGIN alice@example.com pw');
      if (!/d\d+ OK/.test(answer)) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.match(answer, /d\d+ OK/);
    for (const x of [b, c, d]) x.socket.destroy();
    p.close();
  });
});

describe('failed logins per address', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  before(async () => (s = await serve({ STRATUS_MAX_LOGIN_FAILURES_PER_IP: '3', STRATUS_AUTH_ACCOUNT_MAX_FAILURES: '1000' })));
  after(async () => s.close());

  it('failures on separate connections add up; then even the right password is refused unchecked', async () => {
    for (const [i, user] of ['alice', 'bob', 'carol'].entries()) {
      const c = await RawClient.connect(s.server.imapPort!);
      assert.match(await c.command(`f${i}`, `LOGIN ${user}@example.com wrong`), /NO \[AUTHENTICATIONFAILED\]/);
      c.socket.destroy();
    }
    const c = await RawClient.connect(s.server.imapPort!);
    assert.match(await c.command('g1', 'LOGIN alice@example.com pw'), /g1 NO \[UNAVAILABLE\] Too many failed logins from your address/);
    const p = await RawPop3.connect(s.server.pop3Port!);
    assert.match(await p.login('alice@example.com', 'pw'), /^-ERR \[SYS\/TEMP\] Too many failed logins from your address/);
    c.socket.destroy();
    p.close();
  });
});

describe('command rate', () => {
  it('a token bucket makes commands over the rate wait, and loses none', async () => {
    let now = 0;
    const bucket = new TokenBucket(1000, 5, () => now);
    const taken: number[] = [];
    const all = Array.from({ length: 8 }, (_, i) => bucket.take().then(() => taken.push(i)));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(taken.length, 5, 'the burst goes through at once');
    now += 10; // ten tokens' worth of time
    await Promise.all(all);
    assert.equal(taken.length, 8);
    assert.equal(bucket.delayed, 3);
  });

  it('over the wire: 40 pipelined commands at a rate of 20/s with a burst of 5 are all answered, in order', async () => {
    const s = await serve({ STRATUS_COMMAND_RATE: '20', STRATUS_COMMAND_BURST: '5' });
    try {
      const c = await RawClient.connect(s.server.imapPort!);
      c.write(Array.from({ length: 40 }, (_, i) => `n${i} NOOP\r\n`).join(''));
      const text = await c.until((t) => t.includes('n39 OK'));
      const tags = [...text.matchAll(/^(n\d+) OK/gm)].map((m) => m[1]);
      assert.deepEqual(tags, Array.from({ length: 40 }, (_, i) => `n${i}`));
      c.socket.destroy();
    } finally {
      await s.close();
    }
  });
});
