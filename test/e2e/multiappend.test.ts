// MULTIAPPEND (RFC 3502) over real TCP, exact wire text: several messages in one APPEND, synchronizing and
// non-synchronizing literals, APPENDUID with the UID range (RFC 4315 §3), all or nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';

const msg = (n: number): string => `Subject: multi ${n}\r\n\r\nbody ${n}\r\n`;
const tagged = (tag: string) => (t: string) => new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`).test(t);

describe('MULTIAPPEND (RFC 3502)', () => {
  let f: Fixture;
  let c: RawClient;
  let uidValidity: string;
  before(async () => {
    f = await startFixture({ maxMessageBytes: 2048 });
    c = await RawClient.connect(f.port);
    assert.match(await c.command('L', `LOGIN "${f.user}" "${f.password}"`), /L OK/);
    uidValidity = /UIDVALIDITY (\d+)/.exec(await c.command('s', 'STATUS INBOX (UIDVALIDITY)'))![1]!;
  });
  after(async () => {
    c.close();
    await f.close();
  });

  it('advertises MULTIAPPEND (§2: "MULTIAPPEND" in the CAPABILITY list)', async () => {
    assert.match(await c.command('c1', 'CAPABILITY'), /^\* CAPABILITY [^\r]* MULTIAPPEND[ \r]/m);
  });

  it('appends several messages with their own flags and dates, one continuation each (§6.3.11)', async () => {
    c.write(`m1 APPEND INBOX (\\Seen) {${msg(1).length}}\r\n`);
    assert.equal(await c.until((t) => t.endsWith('\r\n')), '+ Ready for literal data\r\n');
    c.write(`${msg(1)} (\\Flagged) "14-Jul-2020 10:00:00 +0000" {${msg(2).length}}\r\n`);
    assert.equal(await c.until((t) => t.endsWith('\r\n')), '+ Ready for literal data\r\n');
    c.write(`${msg(2)}\r\n`);
    // RFC 4315 §3 / RFC 3502 §6.3.11: "APPENDUID" with the UIDs "assigned to the messages, in the order of the
    // messages in the command".
    assert.equal(await c.until(tagged('m1')), `m1 OK [APPENDUID ${uidValidity} 1:2] APPEND completed\r\n`);
    assert.match(await c.command('x', 'SELECT INBOX'), /\* 2 EXISTS/);
    assert.equal(
      await c.command('f1', 'UID FETCH 1:2 (FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])'),
      // \Recent: the first SELECT after the APPEND (RFC 3501 §2.3.2).
      '* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent) INTERNALDATE ' +
        /INTERNALDATE ("[^"]+")/.exec(await c.command('d', 'FETCH 1 (INTERNALDATE)'))![1]! +
        ' BODY[HEADER.FIELDS (SUBJECT)] {20}\r\nSubject: multi 1\r\n\r\n)\r\n' +
        '* 2 FETCH (UID 2 FLAGS (\\Flagged \\Recent) INTERNALDATE "14-Jul-2020 10:00:00 +0000" BODY[HEADER.FIELDS (SUBJECT)] {20}\r\nSubject: multi 2\r\n\r\n)\r\n' +
        'f1 OK UID FETCH completed\r\n',
    );
  });

  it('accepts non-synchronizing literals (RFC 7888) for every message', async () => {
    c.write(`m2 APPEND INBOX {${msg(3).length}+}\r\n${msg(3)} {${msg(4).length}+}\r\n${msg(4)} {${msg(5).length}+}\r\n${msg(5)}\r\n`);
    const got = await c.until(tagged('m2'));
    assert.match(got, new RegExp(`m2 OK \\[APPENDUID ${uidValidity} 3:5\\] APPEND completed\\r\\n$`));
  });

  it('is all or nothing: a refused later message appends none (§6.3.11: "If the server is unable to append ... none")', async () => {
    c.write(`m3 APPEND INBOX {${msg(6).length}}\r\n`);
    await c.until((t) => t.endsWith('\r\n'));
    c.write(`${msg(6)} {9000}\r\n`);
    assert.equal(await c.until(tagged('m3')), 'm3 NO [TOOBIG] Message too large\r\n');
    c.write(`m4 APPEND INBOX {${msg(7).length}+}\r\n${msg(7)} {2+}\r\nab garbage\r\n`);
    assert.match(await c.until(tagged('m4')), /m4 BAD /);
    assert.match(await c.command('st', 'STATUS INBOX (MESSAGES UIDNEXT)'), /\* STATUS "INBOX" \(MESSAGES 5 UIDNEXT 6\)/);
  });
});
