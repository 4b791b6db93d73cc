// FETCH items over real TCP on a rev1 session (RFC 3501 §6.4.5, §7.4.2): RFC822, RFC822.HEADER, RFC822.TEXT,
// RFC822.SIZE, the ALL / FAST / FULL macros, sections inside a nested message/rfc822 part (n.m, n.HEADER, n.TEXT,
// n.MIME), HEADER.FIELDS.NOT, partials, and a non-PEEK fetch setting \Seen — told to this session in the same FETCH
// response and to another session as an unsolicited FETCH FLAGS. Exact wire text from a raw client; imapflow reads
// the same sections the way a mail client does.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ImapFlow } from 'imapflow';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';

const HEADER =
  'From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: nested\r\nDate: Tue, 1 Mar 2022 10:00:00 +0000\r\n' +
  'Message-ID: <n1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="outer"\r\n\r\n';
const PART1_MIME = 'Content-Type: text/plain; charset=us-ascii\r\n\r\n';
const PART2_MIME = 'Content-Type: message/rfc822\r\nContent-Description: forwarded\r\n\r\n';
const INNER_HEADER = 'From: Carol <carol@example.net>\r\nSubject: inner\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="inner"\r\n\r\n';
const INNER_TEXT = '--inner\r\nContent-Type: text/plain\r\n\r\ninner plain\r\n--inner\r\nContent-Type: text/html\r\n\r\n<p>inner html</p>\r\n--inner--';
const TEXT = `--outer\r\n${PART1_MIME}Intro text\r\n--outer\r\n${PART2_MIME}${INNER_HEADER}${INNER_TEXT}\r\n--outer--\r\n`;
const NESTED = HEADER + TEXT;
const SIMPLE = 'From: Bob <bob@example.org>\r\nSubject: plain\r\n\r\nJust text.\r\n';

/** `{n}\r\n<text>` as the server sends a literal (all test texts are ASCII). */
const lit = (text: string): string => `{${text.length}}\r\n${text}`;

const ENVELOPE =
  '("Tue, 1 Mar 2022 10:00:00 +0000" "nested" (("Alice" NIL "alice" "example.com")) (("Alice" NIL "alice" "example.com")) ' +
  '(("Alice" NIL "alice" "example.com")) ((NIL NIL "bob" "example.org")) NIL NIL NIL "<n1@example.com>")';
const INNER_ENVELOPE =
  '(NIL "inner" (("Carol" NIL "carol" "example.net")) (("Carol" NIL "carol" "example.net")) (("Carol" NIL "carol" "example.net")) NIL NIL NIL NIL NIL)';
const BODY =
  '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 10 0)' +
  `("MESSAGE" "RFC822" NIL NIL "forwarded" "7BIT" ${INNER_HEADER.length + INNER_TEXT.length} ${INNER_ENVELOPE} ` +
  '(("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 11 0)("TEXT" "HTML" ("CHARSET" "us-ascii") NIL NIL "7BIT" 17 0) "ALTERNATIVE") 13) "MIXED")';
const DATE = '"01-Jan-2020 09:00:00 +0000"';

describe('FETCH items on a rev1 session', () => {
  let f: Fixture;
  let c: RawClient;
  before(async () => {
    f = await startFixture();
    c = await RawClient.connect(f.port);
    assert.match(await c.command('L', `LOGIN "${f.user}" "${f.password}"`), /L OK/);
    assert.match(await c.append('A1', 'INBOX', NESTED, '"01-Jan-2020 10:00:00 +0100"'), /A1 OK/);
    assert.match(await c.append('A2', 'INBOX', SIMPLE), /A2 OK/);
    assert.match(await c.append('A3', 'INBOX', SIMPLE), /A3 OK/);
    assert.match(await c.command('S', 'SELECT INBOX'), /S OK/);
  });
  after(async () => {
    c.close();
    await f.close();
  });

  const fetch = (tag: string, args: string): Promise<string> => c.command(tag, `FETCH ${args}`);
  const ok = (tag: string): string => `${tag} OK FETCH completed\r\n`;

  it('FAST, ALL and FULL expand to their items in order (§6.4.5 macros)', async () => {
    const fast = `FLAGS (\\Recent) INTERNALDATE ${DATE} RFC822.SIZE ${NESTED.length}`;
    assert.equal(await fetch('m1', '1 FAST'), `* 1 FETCH (${fast})\r\n${ok('m1')}`);
    assert.equal(await fetch('m2', '1 all'), `* 1 FETCH (${fast} ENVELOPE ${ENVELOPE})\r\n${ok('m2')}`);
    assert.equal(await fetch('m3', '1 FULL'), `* 1 FETCH (${fast} ENVELOPE ${ENVELOPE} BODY ${BODY})\r\n${ok('m3')}`);
  });

  it('RFC822.HEADER and RFC822.SIZE; RFC822.HEADER does not set \\Seen (§6.4.5: "equivalent to BODY.PEEK[HEADER]")', async () => {
    assert.equal(await fetch('h1', '1 (RFC822.HEADER RFC822.SIZE)'), `* 1 FETCH (RFC822.HEADER ${lit(HEADER)} RFC822.SIZE ${NESTED.length})\r\n${ok('h1')}`);
    assert.equal(await fetch('h2', '1 FLAGS'), `* 1 FETCH (FLAGS (\\Recent))\r\n${ok('h2')}`);
  });

  it('sections of a message/rfc822 part: n is the encapsulated message, n.HEADER / n.TEXT / n.m inside it (§6.4.5)', async () => {
    assert.equal(
      await fetch('n1', '1 (BODY.PEEK[2] BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT])'),
      `* 1 FETCH (BODY[2] ${lit(INNER_HEADER + INNER_TEXT)} BODY[2.HEADER] ${lit(INNER_HEADER)} BODY[2.TEXT] ${lit(INNER_TEXT)})\r\n${ok('n1')}`,
    );
    assert.equal(
      await fetch('n2', '1 (BODY.PEEK[2.1] BODY.PEEK[2.2] BODY.PEEK[1])'),
      `* 1 FETCH (BODY[2.1] ${lit('inner plain')} BODY[2.2] ${lit('<p>inner html</p>')} BODY[1] ${lit('Intro text')})\r\n${ok('n2')}`,
    );
  });

  it('n.MIME is the part\'s own MIME header, also inside the encapsulated message (§6.4.5)', async () => {
    assert.equal(
      await fetch('x1', '1 (BODY.PEEK[1.MIME] BODY.PEEK[2.MIME] BODY.PEEK[2.1.MIME])'),
      `* 1 FETCH (BODY[1.MIME] ${lit(PART1_MIME)} BODY[2.MIME] ${lit(PART2_MIME)} BODY[2.1.MIME] ${lit('Content-Type: text/plain\r\n\r\n')})\r\n${ok('x1')}`,
    );
  });

  it('HEADER.FIELDS.NOT leaves the named fields out, case-insensitively; HEADER.FIELDS of the inner message (§6.4.5)', async () => {
    const rest = 'From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="outer"\r\n\r\n';
    assert.equal(
      await fetch('y1', '1 (BODY.PEEK[HEADER.FIELDS.NOT (Subject DATE message-id)] BODY.PEEK[2.HEADER.FIELDS (SUBJECT)])'),
      `* 1 FETCH (BODY[HEADER.FIELDS.NOT (Subject DATE message-id)] ${lit(rest)} BODY[2.HEADER.FIELDS (SUBJECT)] ${lit('Subject: inner\r\n\r\n')})\r\n${ok('y1')}`,
    );
  });

  it('partials <origin.length>: the answer names the origin; past the end is an empty string (§6.4.5)', async () => {
    assert.equal(
      await fetch('p1', '1 (BODY.PEEK[]<0.10> BODY.PEEK[1]<3.4> BODY.PEEK[2.1]<5.100> BODY.PEEK[TEXT]<100000.5>)'),
      `* 1 FETCH (BODY[]<0> ${lit('From: Alic')} BODY[1]<3> ${lit('ro t')} BODY[2.1]<5> ${lit(' plain')} BODY[TEXT]<100000> {0}\r\n)\r\n${ok('p1')}`,
    );
  });

  it('BODY[...] without .PEEK sets \\Seen, reported in the same FETCH response (§6.4.5) and to another session', async () => {
    const other: ImapFlow = await f.connect();
    try {
      await other.mailboxOpen('INBOX');
      const seen = new Promise<{ uid?: number; flags?: Set<string> }>((resolve) => other.once('flags', resolve));
      assert.equal(await fetch('s1', '2 (BODY[TEXT])'), `* 2 FETCH (BODY[TEXT] ${lit('Just text.\r\n')} FLAGS (\\Seen \\Recent))\r\n${ok('s1')}`);
      await other.noop();
      const update = await seen;
      assert.deepEqual([...(update.flags ?? [])], ['\\Seen']);
      assert.equal(await fetch('s2', '2 FLAGS'), `* 2 FETCH (FLAGS (\\Seen \\Recent))\r\n${ok('s2')}`);
    } finally {
      await other.logout();
    }
  });

  it('RFC822.TEXT and RFC822 set \\Seen too (§6.4.5: "equivalent to BODY[TEXT]" / "BODY[]")', async () => {
    assert.equal(await fetch('r1', '1 RFC822.TEXT'), `* 1 FETCH (RFC822.TEXT ${lit(TEXT)} FLAGS (\\Seen \\Recent))\r\n${ok('r1')}`);
    assert.equal(await fetch('r2', '3 (RFC822 RFC822.SIZE)'), `* 3 FETCH (RFC822 ${lit(SIMPLE)} RFC822.SIZE ${SIMPLE.length} FLAGS (\\Seen \\Recent))\r\n${ok('r2')}`);
  });

  it('a mail client reads the same sections, sizes and envelope (imapflow)', async () => {
    const client = await f.connect();
    try {
      await client.mailboxOpen('INBOX', { readOnly: true });
      const msg = await client.fetchOne('1', { size: true, envelope: true, bodyParts: ['2.1', '2.1.mime', '2.header'], headers: ['subject'] });
      assert.ok(msg);
      assert.equal(msg.size, NESTED.length);
      assert.equal(msg.envelope?.subject, 'nested');
      assert.deepEqual(msg.envelope?.from, [{ name: 'Alice', address: 'alice@example.com' }]);
      assert.equal(msg.bodyParts?.get('2.1')?.toString(), 'inner plain');
      assert.equal(msg.bodyParts?.get('2.1.mime')?.toString(), 'Content-Type: text/plain\r\n\r\n');
      assert.equal(msg.bodyParts?.get('2.header')?.toString(), INNER_HEADER);
      assert.equal(msg.headers?.toString(), 'Subject: nested\r\n\r\n');
      const source = await client.fetchOne('3', { source: true });
      assert.ok(source);
      assert.equal(source.source?.toString(), SIMPLE);
    } finally {
      await client.logout();
    }
  });
});
