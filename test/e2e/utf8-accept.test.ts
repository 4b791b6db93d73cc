// UTF8=ACCEPT (RFC 6855) over TCP with exact answers: after ENABLE UTF8=ACCEPT mailbox names travel as UTF-8
// (quoted strings may carry it, §3), APPEND takes `UTF8 (~{n}…)` (§4), a SEARCH CHARSET is a BAD (§3); a session
// that did not enable it keeps modified UTF-7 (RFC 3501 §5.1.3). imapflow (which enables UTF8=ACCEPT itself) sees
// the same names.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';

/** The raw client reads latin1: turn an answer back into the UTF-8 text the server sent. */
const utf8 = (latin1: string): string => Buffer.from(latin1, 'latin1').toString('utf8');

describe('UTF8=ACCEPT (RFC 6855)', () => {
  let f: Fixture;
  let on: RawClient;
  let off: RawClient;
  before(async () => {
    f = await startFixture();
    on = await RawClient.connect(f.port);
    off = await RawClient.connect(f.port);
    for (const c of [on, off]) assert.match(await c.command('L', `LOGIN "${f.user}" "${f.password}"`), /^L OK/m);
  });
  after(async () => {
    on.close();
    off.close();
    await f.close();
  });

  it('is advertised and enabled once (RFC 5161 §3.1)', async () => {
    assert.match(await on.command('c', 'CAPABILITY'), /^\* CAPABILITY [^\r]* UTF8=ACCEPT[ \r]/m);
    assert.equal(await on.command('e1', 'ENABLE UTF8=ACCEPT'), '* ENABLED UTF8=ACCEPT\r\ne1 OK ENABLE completed\r\n');
    assert.equal(await on.command('e2', 'ENABLE UTF8=ACCEPT'), '* ENABLED\r\ne2 OK ENABLE completed\r\n');
  });

  it('CREATE, LIST, STATUS, SELECT, RENAME, SUBSCRIBE and LSUB use UTF-8 names; the other session sees modified UTF-7', async () => {
    assert.match(await on.command('c1', 'CREATE "Entwürfe/Тест"'), /^c1 OK/m);
    assert.equal(
      utf8(await on.command('l1', 'LIST "" "Entw*"')),
      '* LIST (\\HasChildren) "/" "Entwürfe"\r\n* LIST (\\HasNoChildren) "/" "Entwürfe/Тест"\r\nl1 OK LIST completed\r\n',
    );
    assert.equal(
      await off.command('l2', 'LIST "" "Entw*"'),
      '* LIST (\\HasChildren) "/" "Entw&APw-rfe"\r\n* LIST (\\HasNoChildren) "/" "Entw&APw-rfe/&BCIENQRBBEI-"\r\nl2 OK LIST completed\r\n',
    );
    assert.equal(
      utf8(await on.command('s1', 'STATUS "Entwürfe/Тест" (MESSAGES UIDNEXT)')),
      '* STATUS "Entwürfe/Тест" (MESSAGES 0 UIDNEXT 1)\r\ns1 OK STATUS completed\r\n',
    );
    // LIST-STATUS (RFC 5819) names the mailbox the same way.
    assert.equal(
      utf8(await on.command('l3', 'LIST "" "Entwürfe/%" RETURN (STATUS (MESSAGES))')),
      '* LIST (\\HasNoChildren) "/" "Entwürfe/Тест"\r\n* STATUS "Entwürfe/Тест" (MESSAGES 0)\r\nl3 OK LIST completed\r\n',
    );
    assert.match(await on.command('x1', 'EXAMINE "Entwürfe/Тест"'), /^x1 OK \[READ-ONLY\]/m);
    assert.match(await on.command('r1', 'RENAME "Entwürfe/Тест" "Entwürfe/Ölçü"'), /^r1 OK/m);
    assert.match(await on.command('u1', 'SUBSCRIBE "Entwürfe/Ölçü"'), /^u1 OK/m);
    assert.equal(utf8(await on.command('u2', 'LSUB "" "Entwürfe/%"')), '* LSUB () "/" "Entwürfe/Ölçü"\r\nu2 OK LSUB completed\r\n');
    assert.equal(await off.command('u3', 'LSUB "" "Entw&APw-rfe/%"'), '* LSUB () "/" "Entw&APw-rfe/&ANY-l&AOcA,A-"\r\nu3 OK LSUB completed\r\n');
    // A literal works as well as a quoted string.
    const name = Buffer.from('Entwürfe/Ölçü', 'utf8');
    assert.match(await on.command('x2', `SELECT {${name.length}+}\r\n${name.toString('utf8')}`), /^x2 OK \[READ-WRITE\]/m);
    assert.match(await on.command('x3', 'UNSELECT'), /^x3 OK/m);
  });

  it('names are taken in NFC (RFC 9051 §5.1); control characters and bytes that are not UTF-8 are BAD (RFC 6855 §3)', async () => {
    const decomposed = 'Cafe\u0301';
    assert.match(await on.command('n1', `CREATE "${decomposed}"`), /^n1 OK/m);
    assert.equal(utf8(await on.command('n2', 'LIST "" "Caf*"')), '* LIST (\\HasNoChildren) "/" "Café"\r\nn2 OK LIST completed\r\n');
    assert.match(await on.command('n3', 'SELECT "Café"'), /^n3 OK/m);
    assert.match(await on.command('n5', 'UNSELECT'), /^n5 OK/m);
    assert.match(await on.command('n6', `DELETE "${decomposed}"`), /^n6 OK/m);
    on.write(Buffer.concat([Buffer.from('b1 CREATE "bad'), Buffer.from([0xff, 0xfe]), Buffer.from('"\r\n')]));
    assert.match(await on.until((t) => /b1 (OK|NO|BAD)/.test(t)), /^b1 BAD /m);
    assert.match(await on.command('b2', 'CREATE {5+}\r\na\u0001bcd'), /^b2 BAD /m);
    // Without UTF8=ACCEPT, 8-bit in a name is not modified UTF-7.
    assert.match(await off.command('b3', 'CREATE "Entwürfe2"'), /^b3 BAD /m);
  });

  it('APPEND takes UTF8 (~{n}) with UTF-8 header fields, also in MULTIAPPEND; a plain literal inside UTF8 is BAD (§4)', async () => {
    const m1 = Buffer.from('Subject: Grüße\r\nFrom: Jörg <jörg@例え.jp>\r\n\r\nHallo\r\n', 'utf8');
    const m2 = Buffer.from('Subject: Ünïcode 2\r\n\r\nzwei\r\n', 'utf8');
    const uidValidity = /UIDVALIDITY (\d+)/.exec(await on.command('v', 'STATUS "Entwürfe/Ölçü" (UIDVALIDITY)'))![1];
    on.write(Buffer.concat([Buffer.from(`a1 APPEND "Entwürfe/Ölçü" UTF8 (~{${m1.length}+}\r\n`), m1, Buffer.from(')\r\n')]));
    assert.equal(await on.until((t) => /a1 (OK|NO|BAD)[^\r]*\r\n/.test(t)), `a1 OK [APPENDUID ${uidValidity} 1] APPEND completed\r\n`);
    on.write(
      Buffer.concat([
        Buffer.from(`a2 APPEND "Entwürfe/Ölçü" (\\Seen) UTF8 (~{${m1.length}+}\r\n`),
        m1,
        Buffer.from(`) UTF8 (~{${m2.length}+}\r\n`),
        m2,
        Buffer.from(')\r\n'),
      ]),
    );
    assert.equal(await on.until((t) => /a2 (OK|NO|BAD)[^\r]*\r\n/.test(t)), `a2 OK [APPENDUID ${uidValidity} 2:3] APPEND completed\r\n`);
    assert.match(await on.command('a3', `APPEND "Entwürfe/Ölçü" UTF8 ({${m2.length}+}\r\n${m2.toString('utf8')})`), /^a3 BAD /m);
    assert.match(await on.command('a4', `APPEND "Entwürfe/Ölçü" UTF8 (~{${m2.length}+}\r\n${m2.toString('utf8')}`), /^a4 BAD /m);
    // The session is still usable, and the messages are byte-exact.
    assert.match(await on.command('s', 'EXAMINE "Entwürfe/Ölçü"'), /^\* 3 EXISTS\r$/m);
    const header = await on.command('f', 'FETCH 1:3 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
    assert.equal(
      utf8(header),
      '* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {20}\r\nSubject: Grüße\r\n\r\n)\r\n' +
        '* 2 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {20}\r\nSubject: Grüße\r\n\r\n)\r\n' +
        '* 3 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {24}\r\nSubject: Ünïcode 2\r\n\r\n)\r\n' +
        'f OK FETCH completed\r\n',
    );
    // §3: no CHARSET once UTF-8 is enabled; the session without it may still name one.
    assert.match(await on.command('q1', 'SEARCH CHARSET UTF-8 SUBJECT "Grüße"'), /^q1 BAD /m);
    assert.equal(utf8(await on.command('q2', 'SEARCH SUBJECT "Grüße"')), '* SEARCH 1 2\r\nq2 OK SEARCH completed\r\n');
    assert.match(await off.command('q3', 'EXAMINE "Entw&APw-rfe/&ANY-l&AOcA,A-"'), /^q3 OK/m);
    assert.match(await off.command('q4', 'SEARCH CHARSET UTF-8 ALL'), /^\* SEARCH 1 2 3\r\n/);
  });

  it('imapflow (which enables UTF8=ACCEPT) lists, opens and appends to a UTF-8 mailbox', async () => {
    const client = await f.connect();
    try {
      const paths = (await client.list()).map((m) => m.path);
      assert.ok(paths.includes('Entwürfe/Ölçü'), JSON.stringify(paths));
      await client.mailboxCreate('Åpen');
      await client.append('Åpen', Buffer.from('Subject: å\r\n\r\nx\r\n'));
      const status = await client.status('Åpen', { messages: true });
      assert.equal(status && status.messages, 1);
    } finally {
      await client.logout();
    }
    assert.match(await off.command('i1', 'LIST "" "&AMU-pen"'), /^\* LIST \(\\HasNoChildren\) "\/" "&AMU-pen"\r\n/);
  });
});
