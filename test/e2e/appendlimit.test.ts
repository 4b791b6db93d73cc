// APPENDLIMIT (RFC 7889) and the literal rules (RFC 7888) over TCP with exact answers. The server advertises
// LITERAL+ and therefore not LITERAL- (RFC 7888 §5: "MUST NOT advertise both"); LITERAL+ is the superset that
// IMAP4rev2's LITERAL- requirement is met by.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';

const LIMIT = 2048;
const message = (size: number): string => {
  const head = 'Subject: size\r\n\r\n';
  return head + 'x'.repeat(size - head.length);
};
const tagged = (tag: string) => (t: string) => new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`).test(t);

describe('APPENDLIMIT (RFC 7889) and literals (RFC 7888)', () => {
  let f: Fixture;
  let c: RawClient;
  before(async () => {
    f = await startFixture({ maxMessageBytes: LIMIT });
    c = await RawClient.connect(f.port);
    assert.match(await c.command('L', `LOGIN "${f.user}" "${f.password}"`), /^L OK/m);
  });
  after(async () => {
    c.close();
    await f.close();
  });

  it('CAPABILITY says APPENDLIMIT=<n> before and after login (§3), and LITERAL+ without LITERAL-', async () => {
    const greeting = await RawClient.connect(f.port);
    try {
      assert.match(await greeting.command('c0', 'CAPABILITY'), new RegExp(`^\\* CAPABILITY [^\\r]* APPENDLIMIT=${LIMIT}[ \\r]`, 'm'));
    } finally {
      greeting.close();
    }
    const caps = (await c.command('c1', 'CAPABILITY')).split('\r\n')[0]!.split(' ');
    assert.ok(caps.includes(`APPENDLIMIT=${LIMIT}`), caps.join(' '));
    assert.ok(caps.includes('LITERAL+') && !caps.includes('LITERAL-'), caps.join(' '));
  });

  it('STATUS APPENDLIMIT and LIST RETURN (STATUS (APPENDLIMIT)) give the limit of the mailbox (§4, §5)', async () => {
    assert.equal(await c.command('s1', 'STATUS INBOX (MESSAGES APPENDLIMIT)'), `* STATUS "INBOX" (MESSAGES 0 APPENDLIMIT ${LIMIT})\r\ns1 OK STATUS completed\r\n`);
    assert.equal(
      await c.command('s2', 'LIST "" "INBOX" RETURN (STATUS (APPENDLIMIT))'),
      `* LIST (\\HasNoChildren) "/" "INBOX"\r\n* STATUS "INBOX" (APPENDLIMIT ${LIMIT})\r\ns2 OK LIST completed\r\n`,
    );
  });

  it('an APPEND at the limit is stored; one byte more is NO [TOOBIG], before the bytes for {n} (RFC 7889 §4, RFC 4469)', async () => {
    const exact = message(LIMIT);
    assert.match(await c.command('a1', `APPEND INBOX {${exact.length}+}\r\n${exact}`), /^a1 OK \[APPENDUID \d+ 1\]/m);
    // Synchronizing: refused instead of the continuation, so the client never sends the message.
    c.write(`a2 APPEND INBOX {${LIMIT + 1}}\r\n`);
    assert.equal(await c.until(tagged('a2')), 'a2 NO [TOOBIG] Message too large\r\n');
    // Non-synchronizing: the bytes are already on their way; they are skipped and the command refused.
    const over = message(LIMIT + 1);
    assert.equal(await c.command('a3', `APPEND INBOX {${over.length}+}\r\n${over}`), 'a3 NO [TOOBIG] Message too large\r\n');
    assert.equal(await c.command('a4', 'STATUS INBOX (MESSAGES)'), '* STATUS "INBOX" (MESSAGES 1)\r\na4 OK STATUS completed\r\n');
  });

  it('LITERAL+: a non-synchronizing literal over 4096 bytes outside APPEND is accepted (it is LITERAL- that forbids it)', async () => {
    assert.match(await c.command('x', 'EXAMINE INBOX'), /^x OK/m);
    const needle = 'y'.repeat(5000);
    assert.equal(await c.command('q', `SEARCH BODY {${needle.length}+}\r\n${needle}`), '* SEARCH\r\nq OK SEARCH completed\r\n');
  });
});
