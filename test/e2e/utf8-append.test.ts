// RFC 6855 §4 over TCP: "If an IMAP server supports "UTF8=ACCEPT" and the IMAP client has not issued the "ENABLE
// UTF8=ACCEPT" command, the server MUST reject, with a "NO" response, an "APPEND" command that includes any 8-bit
// character in message header fields." Only header fields: an 8-bit body is ordinary MIME in every session. A
// session that enabled UTF8=ACCEPT, or IMAP4rev2 (RFC 9051 §6.3.12: "8-bit characters are permitted in the
// message"), may append such a message with or without the UTF8 (~{n}) wrapper (6855bis drops the wrapper, and
// imapflow and other clients send plain literals). And §3: the server "MUST NOT send UTF-8 in quoted-strings to the
// client unless the client has indicated support" — header text with 8-bit goes out as a literal, mailbox names in
// modified UTF-7 — while an enabled session gets UTF-8 names in every answer that carries one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';

const utf8 = (latin1: string): string => Buffer.from(latin1, 'latin1').toString('utf8');
const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

const EIGHT_BIT_HEADER = bytes('Subject: Grüße\r\n\r\nHallo\r\n');
const EIGHT_BIT_BODY = bytes('Subject: plain\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\n');
/** Bare LF line ends: the header still ends at the first empty line. */
const EIGHT_BIT_BODY_LF = bytes('Subject: lf\n\nGrüße\n');
/** An 8-bit octet in a later header line, after a long ASCII one (the header spans stream chunks). */
const LATE_EIGHT_BIT = bytes(`X-Long: ${'a'.repeat(70_000).replace(/(.{70})/g, '$1\r\n ')}\r\nFrom: Jörg <j@example.org>\r\n\r\nx\r\n`);
/** No octet above 0x7E outside a literal `{n}` CRLF <n octets> in an answer read as latin1 (one char per octet). */
function eightBitOnlyInLiterals(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const literal = /^\{(\d+)\}\r\n/.exec(text.slice(i, i + 24));
    if (literal) i += literal[0].length + Number(literal[1]) - 1;
    else if (text.charCodeAt(i) > 0x7e) return false;
  }
  return true;
}
// ASCII only: response text may carry UTF-8 only after ENABLE (RFC 9051 Appendix E item 24).
const REFUSAL = 'NO Message header fields contain 8-bit characters; ENABLE UTF8=ACCEPT first (RFC 6855 section 4)';

describe('APPEND of 8-bit header fields (RFC 6855 §4) and UTF-8 on the wire (§3)', () => {
  let f: Fixture;
  let plain: RawClient;
  let accept: RawClient;
  let rev2: RawClient;
  const count = async (c: RawClient, tag: string): Promise<number> =>
    Number(/MESSAGES (\d+)/.exec(await c.command(tag, 'STATUS INBOX (MESSAGES)'))![1]);

  /** APPEND with non-synchronizing literals (LITERAL+): `parts` are the line pieces and message bytes in order. */
  const send = async (c: RawClient, tag: string, parts: (string | Buffer)[]): Promise<string> => {
    c.write(Buffer.concat([...parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)), Buffer.from('\r\n')]));
    return c.until((t) => new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r]*\\r\\n`).test(t));
  };

  before(async () => {
    f = await startFixture({ maxLineBytes: 128 * 1024 });
    plain = await RawClient.connect(f.port);
    accept = await RawClient.connect(f.port);
    rev2 = await RawClient.connect(f.port);
    for (const c of [plain, accept, rev2]) assert.match(await c.command('L', `LOGIN "${f.user}" "${f.password}"`), /^L OK/m);
    assert.match(await accept.command('E', 'ENABLE UTF8=ACCEPT'), /^\* ENABLED UTF8=ACCEPT\r\n/);
    assert.match(await rev2.command('E', 'ENABLE IMAP4rev2'), /^\* ENABLED IMAP4rev2\r\n/);
  });
  after(async () => {
    for (const c of [plain, accept, rev2]) c.close();
    await f.close();
  });

  it('without ENABLE UTF8=ACCEPT: 8-bit header fields are NO, in a plain or UTF8 literal, and nothing is stored', async () => {
    const before = await count(plain, 'c0');
    const m = EIGHT_BIT_HEADER;
    assert.equal(await send(plain, 'a1', [`a1 APPEND INBOX {${m.length}+}\r\n`, m]), `a1 ${REFUSAL}\r\n`);
    assert.equal(await send(plain, 'a2', [`a2 APPEND INBOX UTF8 (~{${m.length}+}\r\n`, m, ')']), `a2 ${REFUSAL}\r\n`);
    // Synchronizing literal: the message is read (the server cannot know before), then refused.
    plain.write(`a3 APPEND INBOX {${m.length}}\r\n`);
    assert.match(await plain.until((t) => t.startsWith('+')), /^\+ /);
    assert.equal(await send(plain, 'a3', [m]), `a3 ${REFUSAL}\r\n`);
    const late = LATE_EIGHT_BIT;
    assert.equal(await send(plain, 'a4', [`a4 APPEND INBOX {${late.length}+}\r\n`, late]), `a4 ${REFUSAL}\r\n`);
    assert.equal(await count(plain, 'c1'), before);
  });

  it('without ENABLE: MULTIAPPEND with one such message stores none of them (RFC 3502 all or nothing)', async () => {
    const before = await count(plain, 'c0');
    const ok = EIGHT_BIT_BODY;
    const m = EIGHT_BIT_HEADER;
    const answer = await send(plain, 'm1', [`m1 APPEND INBOX {${ok.length}+}\r\n`, ok, ` {${m.length}+}\r\n`, m, ` {${ok.length}+}\r\n`, ok]);
    assert.equal(answer, `m1 ${REFUSAL}\r\n`);
    assert.equal(await count(plain, 'c1'), before);
    assert.equal(await plain.command('n', 'NOOP'), 'n OK NOOP completed\r\n');
  });

  it('without ENABLE: 8-bit only in the body is an ordinary message', async () => {
    const before = await count(plain, 'c0');
    for (const [i, m] of [EIGHT_BIT_BODY, EIGHT_BIT_BODY_LF].entries()) {
      assert.match(await send(plain, `b${i}`, [`b${i} APPEND INBOX {${m.length}+}\r\n`, m]), new RegExp(`^b${i} OK \\[APPENDUID`, 'm'));
    }
    assert.equal(await count(plain, 'c1'), before + 2);
  });

  it('after ENABLE UTF8=ACCEPT or IMAP4rev2: accepted with or without the UTF8 wrapper, byte for byte', async () => {
    const before = await count(accept, 'c0');
    const m = EIGHT_BIT_HEADER;
    assert.match(await send(accept, 'u1', [`u1 APPEND INBOX UTF8 (~{${m.length}+}\r\n`, m, ')']), /^u1 OK \[APPENDUID/m);
    assert.match(await send(accept, 'u2', [`u2 APPEND INBOX {${m.length}+}\r\n`, m]), /^u2 OK \[APPENDUID/m);
    assert.match(await send(rev2, 'u3', [`u3 APPEND INBOX {${m.length}+}\r\n`, m]), /^u3 OK \[APPENDUID/m);
    assert.equal(await count(accept, 'c1'), before + 3);
    assert.match(await accept.command('s', 'EXAMINE INBOX'), /^s OK/m);
    const n = before + 3;
    const fetched = utf8(await accept.command('f', `FETCH ${n} (BODY.PEEK[])`));
    assert.equal(fetched, `* ${n} FETCH (BODY[] {${m.length}}\r\n${m.toString('utf8')})\r\nf OK FETCH completed\r\n`);
  });

  it('§3: 8-bit header text reaches a session that did not enable UTF-8 only inside literals, never quoted', async () => {
    assert.match(await plain.command('s', 'EXAMINE INBOX'), /^s OK/m);
    const last = await count(plain, 'c');
    const envelope = await plain.command('e', `FETCH ${last} (ENVELOPE)`);
    // "Grüße" is 7 octets in UTF-8: a literal, where a quoted string would need ENABLE (RFC 6855 §3).
    assert.equal(utf8(envelope), `* ${last} FETCH (ENVELOPE (NIL {7}\r\nGrüße NIL NIL NIL NIL NIL NIL NIL NIL))\r\ne OK FETCH completed\r\n`);
    assert.ok(eightBitOnlyInLiterals(envelope));
  });

  it('§3: names in ACL, quota and LIST answers are UTF-8 after ENABLE and modified UTF-7 without', async () => {
    assert.match(await accept.command('c1', 'CREATE "Bücher"'), /^c1 OK/m);
    assert.match(utf8(await accept.command('m1', 'MYRIGHTS "Bücher"')), /^\* MYRIGHTS "Bücher" "?lrswipkxtea[a-z]*"?\r\nm1 OK/);
    assert.match(await plain.command('m2', 'MYRIGHTS "B&APw-cher"'), /^\* MYRIGHTS "B&APw-cher" "?lrswipkxtea[a-z]*"?\r\nm2 OK/);
    assert.match(utf8(await accept.command('g1', 'GETACL "Bücher"')), /^\* ACL "Bücher" /);
    assert.match(await plain.command('g2', 'GETACL "B&APw-cher"'), /^\* ACL "B&APw-cher" /);
    assert.match(utf8(await accept.command('l1', 'LISTRIGHTS "Bücher" anyone')), /^\* LISTRIGHTS "Bücher" "?anyone"? /);
    assert.match(await plain.command('l2', 'LISTRIGHTS "B&APw-cher" anyone'), /^\* LISTRIGHTS "B&APw-cher" "?anyone"? /);
    assert.match(utf8(await accept.command('q1', 'GETQUOTAROOT "Bücher"')), /^\* QUOTAROOT "Bücher"/);
    assert.match(await plain.command('q2', 'GETQUOTAROOT "B&APw-cher"'), /^\* QUOTAROOT "B&APw-cher"/);
    assert.match(utf8(await rev2.command('x1', 'EXAMINE "Bücher"')), /^\* LIST \([^)]*\) "\/" "Bücher"\r$/m);
    // Nothing in the session without UTF-8 carries an 8-bit octet.
    assert.ok(eightBitOnlyInLiterals(await plain.command('l3', 'LIST "" "*"')));
  });
});
