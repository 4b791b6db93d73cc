// POP3 over real TCP against the server as `stratus serve` wires it: exact bytes with a raw client, Python's poplib,
// and IMAP (imapflow) beside it to seed messages and to see POP3's deletions as expunges.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startFixture, type Fixture } from '../e2e/fixture.js';
import { listing, RawPop3, unstuff } from './raw-pop3.js';

const run = promisify(execFile);
const POPLIB_CLIENT = fileURLToPath(new URL('./poplib_client.py', import.meta.url));

const DOTTED =
  'From: Bob <bob@example.org>\r\nTo: alice@example.com\r\nSubject: Dots\r\n\r\n' +
  '.leading dot\r\n..two dots\r\nmiddle . dot\r\n.\r\nlast line';
const plain = (n: number) =>
  `From: Bob <bob@example.org>\r\nTo: alice@example.com\r\nSubject: Message ${n}\r\nMessage-ID: <m${n}@example.org>\r\n\r\nBody ${n} line 1\r\nline 2\r\nline 3\r\n`;

/** INBOX's UIDs as a fresh IMAP session sees them. */
async function inboxUids(fx: Fixture): Promise<number[]> {
  const imap = await fx.connect();
  try {
    const mailbox = await imap.mailboxOpen('INBOX');
    const uids: number[] = [];
    if (mailbox.exists === 0) return uids;
    for await (const m of imap.fetch('1:*', { uid: true })) uids.push(m.uid);
    return uids;
  } finally {
    await imap.logout();
  }
}

/** Empties INBOX and appends the messages over IMAP; returns their UIDs. */
async function seedInbox(fx: Fixture, messages: string[]): Promise<number[]> {
  const imap = await fx.connect();
  try {
    const mailbox = await imap.mailboxOpen('INBOX');
    if (mailbox.exists > 0) await imap.messageDelete('1:*');
    const uids: number[] = [];
    for (const m of messages) {
      const r = await imap.append('INBOX', Buffer.from(m));
      assert.ok(r && typeof r.uid === 'number');
      uids.push(r.uid);
    }
    return uids;
  } finally {
    await imap.logout();
  }
}

/** A SCRAM-SHA-256 client written from RFC 5802 §3 (shares no code with src/auth). */
function scramClient(user: string, password: string) {
  const nonce = randomBytes(12).toString('base64');
  const bare = `n=${user},r=${nonce}`;
  let serverSignature = '';
  return {
    first: `n,,${bare}`,
    final(serverFirst: string): string {
      const attrs = new Map(serverFirst.split(',').map((a) => [a.slice(0, 1), a.slice(2)] as const));
      const hmac = (key: Uint8Array, data: string) => createHmac('sha256', key).update(data).digest();
      const salted = pbkdf2Sync(password, Buffer.from(attrs.get('s')!, 'base64'), Number(attrs.get('i')), 32, 'sha256');
      const clientKey = hmac(salted, 'Client Key');
      const storedKey = createHash('sha256').update(clientKey).digest();
      const withoutProof = `c=biws,r=${attrs.get('r')}`;
      const authMessage = `${bare},${serverFirst},${withoutProof}`;
      const signature = hmac(storedKey, authMessage);
      serverSignature = hmac(hmac(salted, 'Server Key'), authMessage).toString('base64');
      return `${withoutProof},p=${Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString('base64')}`;
    },
    get serverFinal() {
      return `v=${serverSignature}`;
    },
  };
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

describe('POP3 over TCP', () => {
  let fx: Fixture;

  before(async () => {
    fx = await startFixture();
  });
  after(() => fx.close());

  const seed = (messages: string[]) => seedInbox(fx, messages);

  async function session(): Promise<RawPop3> {
    const pop = await RawPop3.connect(fx.pop3Port);
    assert.match(await pop.login(fx.user, fx.password), /^\+OK/);
    return pop;
  }

  it('greets and announces what it implements (no STLS without TLS)', async () => {
    const pop = await RawPop3.connect(fx.pop3Port);
    assert.match(pop.greeting, /^\+OK /);
    const capa = await pop.multiCommand('CAPA');
    const caps = listing(capa.body);
    for (const c of ['USER', 'SASL PLAIN SCRAM-SHA-256', 'TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING']) {
      assert.ok(caps.includes(c), `CAPA lacks ${c}: ${caps.join(' | ')}`);
    }
    assert.ok(caps.some((c) => c.startsWith('IMPLEMENTATION ')));
    assert.ok(!caps.includes('STLS'));
    assert.equal(await pop.command('QUIT'), '+OK Stratus POP3 signing off');
    await pop.waitClosed();
  });

  it('STAT, LIST, RETR with byte-stuffing, TOP, and UIDL stable across sessions', async () => {
    const uids = await seed([DOTTED, plain(2)]);
    const sizes = [Buffer.byteLength(DOTTED), Buffer.byteLength(plain(2))];
    const pop = await session();
    assert.equal(await pop.command('STAT'), `+OK 2 ${sizes[0]! + sizes[1]!}`);
    assert.deepEqual(listing((await pop.multiCommand('LIST')).body), [`1 ${sizes[0]}`, `2 ${sizes[1]}`]);
    assert.equal(await pop.command('LIST 2'), `+OK 2 ${sizes[1]}`);

    const retr = await pop.multiCommand('RETR 1');
    assert.equal(retr.status, `+OK ${sizes[0]} octets`);
    // Exact wire bytes: stuffed dots, and a CRLF added after the unterminated last line.
    assert.equal(
      retr.body,
      'From: Bob <bob@example.org>\r\nTo: alice@example.com\r\nSubject: Dots\r\n\r\n' +
        '..leading dot\r\n...two dots\r\nmiddle . dot\r\n..\r\nlast line\r\n.\r\n',
    );
    assert.equal(unstuff(retr.body), DOTTED + '\r\n');

    const top0 = await pop.multiCommand('TOP 2 0');
    assert.equal(unstuff(top0.body), 'From: Bob <bob@example.org>\r\nTo: alice@example.com\r\nSubject: Message 2\r\nMessage-ID: <m2@example.org>\r\n\r\n');
    const top2 = await pop.multiCommand('TOP 1 2');
    assert.equal(top2.body, 'From: Bob <bob@example.org>\r\nTo: alice@example.com\r\nSubject: Dots\r\n\r\n..leading dot\r\n...two dots\r\n.\r\n');

    const uidl = listing((await pop.multiCommand('UIDL')).body);
    const imap = await fx.connect();
    const status = await imap.status('INBOX', { uidValidity: true });
    await imap.logout();
    assert.ok(status && status.uidValidity);
    const expected = uids.map((u, i) => `${i + 1} ${status.uidValidity}.${u}`);
    assert.deepEqual(uidl, expected);
    assert.equal(await pop.command('UIDL 2'), `+OK ${expected[1]}`);
    assert.match(await pop.command('QUIT'), /^\+OK/);

    const again = await session();
    assert.deepEqual(listing((await again.multiCommand('UIDL')).body), expected);
    assert.match(await again.command('QUIT'), /^\+OK/);
  });

  it('RSET undoes DELE; QUIT removes exactly the deleted messages, and IMAP sees them expunged', async () => {
    const uids = await seed([plain(1), plain(2), plain(3), plain(4)]);
    const watcher = await fx.connect();
    const expunged: number[] = [];
    watcher.on('expunge', (e: { seq: number }) => expunged.push(e.seq));
    await watcher.mailboxOpen('INBOX');

    const pop = await session();
    assert.equal(await pop.command('DELE 1'), '+OK Message 1 deleted');
    assert.match(await pop.command('RETR 1'), /^-ERR Message 1 already deleted/);
    assert.match(await pop.command('DELE 1'), /^-ERR /);
    assert.match(await pop.command('STAT'), /^\+OK 3 /);
    assert.match(await pop.command('RSET'), /^\+OK Maildrop has 4 messages/);
    assert.match(await pop.command('DELE 2'), /^\+OK/);
    assert.match(await pop.command('DELE 4'), /^\+OK/);
    assert.deepEqual(listing((await pop.multiCommand('LIST')).body).map((l) => l.split(' ')[0]), ['1', '3']);
    assert.match(await pop.command('QUIT'), /^\+OK .*2 messages deleted/);
    await pop.waitClosed();

    assert.deepEqual(await inboxUids(fx), [uids[0], uids[2]]);
    await watcher.noop();
    assert.equal(expunged.length, 2, 'the open IMAP session saw two expunges');
    await watcher.logout();
  });

  it('a connection dropped without QUIT deletes nothing', async () => {
    const uids = await seed([plain(1), plain(2)]);
    const pop = await session();
    assert.match(await pop.command('DELE 1'), /^\+OK/);
    assert.match(await pop.command('DELE 2'), /^\+OK/);
    pop.close();
    await fx.settle(); // the server has noticed the drop and released the lease
    assert.deepEqual(await inboxUids(fx), uids);
    const next = await session(); // the lease is free again
    assert.match(await next.command('STAT'), /^\+OK 2 /);
    assert.match(await next.command('QUIT'), /^\+OK/);
  });

  it('a second login to a maildrop in use is refused with [IN-USE], and allowed after QUIT', async () => {
    await seed([plain(1)]);
    const first = await session();
    const second = await RawPop3.connect(fx.pop3Port);
    assert.match(await second.login(fx.user, fx.password), /^-ERR \[IN-USE\] /);
    assert.match(await second.command('STAT'), /^-ERR /, 'still in the AUTHORIZATION state');
    assert.match(await first.command('QUIT'), /^\+OK/);
    await first.waitClosed();
    assert.match(await second.login(fx.user, fx.password), /^\+OK/);
    assert.match(await second.command('QUIT'), /^\+OK/);
  });

  it('refuses bad input with -ERR and keeps going', async () => {
    await seed([plain(1)]);
    const pop = await RawPop3.connect(fx.pop3Port);
    assert.match(await pop.command('FROB'), /^-ERR Unknown command/);
    assert.match(await pop.command(''), /^-ERR /);
    assert.match(await pop.command('STAT'), /^-ERR STAT is not valid in the AUTHORIZATION state/);
    assert.match(await pop.command('PASS nouser'), /^-ERR Send USER first/);
    assert.match(await pop.command('X'.repeat(70 * 1024)), /^-ERR Line too long/);
    assert.match(await pop.command('USER alice@example.com'), /^\+OK/);
    assert.match(await pop.command('PASS wrong password'), /^-ERR \[AUTH\] /);
    assert.match(await pop.command('PASS ' + fx.password), /^-ERR Send USER first/, 'a failed PASS needs a new USER');
    assert.match(await pop.login(fx.user, fx.password), /^\+OK/);
    assert.match(await pop.command('USER x@example.com'), /^-ERR USER is not valid in the TRANSACTION state/);
    assert.match(await pop.command('RETR 0'), /^-ERR No such message/);
    assert.match(await pop.command('RETR 2'), /^-ERR No such message/);
    assert.match(await pop.command('RETR abc'), /^-ERR No such message/);
    assert.match(await pop.command('RETR'), /^-ERR /);
    assert.match(await pop.command('TOP 1 -1'), /^-ERR Invalid line count/);
    assert.match(await pop.command('LIST 1 2'), /^-ERR /);
    assert.match(await pop.command('AUTH PLAIN'), /^-ERR /);
    assert.match(await pop.command('NOOP'), /^\+OK/);
    // PIPELINING: several commands in one write, answered in order.
    pop.write('NOOP\r\nSTAT\r\nLIST 1\r\nQUIT\r\n');
    assert.equal(await pop.line(), '+OK');
    assert.match(await pop.line(), /^\+OK 1 /);
    assert.match(await pop.line(), /^\+OK 1 /);
    assert.match(await pop.line(), /^\+OK /);
    await pop.waitClosed();
  });

  it('AUTH PLAIN with and without an initial response, and cancelled', async () => {
    const creds = b64(`\0${fx.user}\0${fx.password}`);
    const a = await RawPop3.connect(fx.pop3Port);
    assert.match(await a.command(`AUTH PLAIN ${creds}`), /^\+OK Logged in/);
    assert.match(await a.command('QUIT'), /^\+OK/);
    await a.waitClosed();

    const b = await RawPop3.connect(fx.pop3Port);
    assert.equal(await b.command('AUTH PLAIN'), '+ ');
    assert.match(await b.command('*'), /^-ERR Authentication cancelled/);
    assert.equal(await b.command('AUTH PLAIN'), '+ ');
    assert.match(await b.command(b64(`\0${fx.user}\0wrong`)), /^-ERR \[AUTH\] /);
    assert.equal(await b.command('AUTH PLAIN'), '+ ');
    assert.match(await b.command('not base64!'), /^-ERR /);
    assert.equal(await b.command('AUTH PLAIN'), '+ ');
    assert.match(await b.command(creds), /^\+OK Logged in/);
    assert.match(await b.command('AUTH PLAIN'), /^-ERR /, 'no second AUTH after success');
    assert.match(await b.command('QUIT'), /^\+OK/);
  });

  it('AUTH SCRAM-SHA-256: proves both sides; a wrong password fails with [AUTH]', async () => {
    const pop = await RawPop3.connect(fx.pop3Port);
    const client = scramClient(fx.user, fx.password);
    const challenge = await pop.command(`AUTH SCRAM-SHA-256 ${b64(client.first)}`);
    assert.match(challenge, /^\+ /);
    const serverFinal = await pop.command(b64(client.final(unb64(challenge.slice(2)))));
    assert.equal(unb64(serverFinal.slice(2)), client.serverFinal, 'the server knew the secret');
    assert.match(await pop.command(''), /^\+OK Logged in/);
    assert.match(await pop.command('QUIT'), /^\+OK/);
    await pop.waitClosed();

    const bad = await RawPop3.connect(fx.pop3Port);
    const wrong = scramClient(fx.user, 'not the password');
    assert.equal(await bad.command('AUTH SCRAM-SHA-256'), '+ ');
    const first = await bad.command(b64(wrong.first));
    assert.match(await bad.command(b64(wrong.final(unb64(first.slice(2))))), /^-ERR \[AUTH\] /);
    const unknown = scramClient('nobody@example.com', 'x');
    const fake = await bad.command(`AUTH SCRAM-SHA-256 ${b64(unknown.first)}`);
    assert.match(fake, /^\+ /, 'an unknown user is not revealed at the first step');
    assert.match(await bad.command(b64(unknown.final(unb64(fake.slice(2))))), /^-ERR \[AUTH\] /);
    bad.close();
  });

  it('streams a large message intact', async () => {
    const line = 'x'.repeat(998) + '\r\n';
    const big = 'Subject: big\r\n\r\n' + ('.' + line.slice(1)).repeat(3000) + line.repeat(3000);
    await seed([big]);
    const pop = await session();
    const retr = await pop.multiCommand('RETR 1');
    assert.equal(retr.status, `+OK ${big.length} octets`);
    assert.equal(unstuff(retr.body), big);
    assert.match(await pop.command('QUIT'), /^\+OK/);
  });

  it("Python's poplib downloads and deletes", async () => {
    const uids = await seed([plain(1), DOTTED, plain(3)]);
    const { stdout } = await run('python3', [POPLIB_CLIENT, '127.0.0.1', String(fx.pop3Port), fx.user, fx.password, '1,3']);
    const seen = JSON.parse(stdout) as { capa: string[]; stat: number[]; list: string[]; uidl: string[]; messages: string[]; top1: string[]; quit: string };
    assert.ok(seen.capa.includes('UIDL') && seen.capa.includes('TOP'));
    assert.equal(seen.stat[0], 3);
    assert.equal(seen.messages[1], DOTTED, 'poplib un-stuffs to the original bytes');
    assert.equal(seen.messages[0], plain(1).replace(/\r\n$/, ''));
    assert.equal(seen.uidl.length, 3);
    assert.ok(seen.top1.includes('Subject: Message 1'));
    assert.match(seen.quit, /^\+OK/);
    assert.deepEqual(await inboxUids(fx), [uids[1]]);
  });
});

describe('POP3 where plaintext passwords are not allowed', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture({ allowPlaintextAuth: false });
  });
  after(() => fx.close());

  it('offers only SCRAM, refuses USER/PASS and PLAIN with [AUTH]', async () => {
    const pop = await RawPop3.connect(fx.pop3Port);
    const caps = listing((await pop.multiCommand('CAPA')).body);
    assert.ok(!caps.includes('USER'));
    assert.ok(caps.includes('SASL SCRAM-SHA-256'));
    assert.ok(caps.includes('STLS'), 'STLS is offered where plaintext authentication is refused');
    assert.match(await pop.command(`USER ${fx.user}`), /^-ERR \[AUTH\] Plaintext/);
    assert.match(await pop.command(`AUTH PLAIN ${b64(`\0${fx.user}\0${fx.password}`)}`), /^-ERR \[AUTH\] Plaintext/);
    const client = scramClient(fx.user, fx.password);
    const challenge = await pop.command(`AUTH SCRAM-SHA-256 ${b64(client.first)}`);
    const serverFinal = await pop.command(b64(client.final(unb64(challenge.slice(2)))));
    assert.equal(unb64(serverFinal.slice(2)), client.serverFinal);
    assert.match(await pop.command(''), /^\+OK Logged in/);
    assert.match(await pop.command('QUIT'), /^\+OK/);
  });
});
