// Nesting depth over TCP (DESIGN.md: "every limit … nesting depth … is enforced with a clear tagged BAD"): one limit
// for parenthesised lists in every command, MAX_NESTING_DEPTH of src/imap/parser/limits.ts, and the SEARCH key
// depth (NOT / OR / groups) beside it. Lines of 10,000 levels are answered with a tagged BAD, never a stack
// overflow, and the same connection keeps working.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';
import { MAX_NESTING_DEPTH, MAX_SEARCH_DEPTH, NESTING_TEXT, SEARCH_DEPTH_TEXT } from '../../src/imap/parser/limits.js';

const DEEP = 10_000;
const nested = (depth: number, inner: string): string => `${'('.repeat(depth)}${inner}${')'.repeat(depth)}`;

describe('nesting limit (parser/limits.ts)', () => {
  let f: Fixture;
  let c: RawClient;
  before(async () => {
    f = await startFixture();
    c = await RawClient.connect(f.port);
    assert.match(await c.command('L', `LOGIN "${f.user}" "${f.password}"`), /^L OK/m);
    const m = 'From: a@example.org\r\nSubject: nest\r\n\r\nbody\r\n';
    assert.match(await c.command('a', `APPEND INBOX {${m.length}+}\r\n${m}`), /^a OK/m);
    assert.match(await c.command('s', 'SELECT INBOX'), /^s OK/m);
  });
  after(async () => {
    c.close();
    await f.close();
  });

  /** The connection still answers, and the mailbox is still selected. */
  const stillUsable = async (tag: string): Promise<void> => {
    assert.match(await c.command(tag, 'FETCH 1 (FLAGS)'), new RegExp(`^\\* 1 FETCH \\(FLAGS \\([^)]*\\)\\)\r\n${tag} OK FETCH completed\r\n$`));
  };

  it('is 32 levels of parentheses, documented in one place', () => {
    assert.equal(MAX_NESTING_DEPTH, 32);
    assert.equal(NESTING_TEXT, 'Too deeply nested (at most 32 levels of parentheses)');
  });

  it(`SEARCH with ${DEEP} nested parentheses is BAD; ${MAX_NESTING_DEPTH} levels work, ${MAX_NESTING_DEPTH + 1} do not`, async () => {
    assert.equal(await c.command('n1', `SEARCH ${nested(DEEP, 'ALL')}`), `n1 BAD ${NESTING_TEXT}\r\n`);
    await stillUsable('u1');
    assert.equal(await c.command('n2', `SEARCH ${nested(MAX_NESTING_DEPTH, 'ALL')}`), '* SEARCH 1\r\nn2 OK SEARCH completed\r\n');
    assert.equal(await c.command('n3', `SEARCH ${nested(MAX_NESTING_DEPTH + 1, 'ALL')}`), `n3 BAD ${NESTING_TEXT}\r\n`);
    // An unbalanced line of "(" only is BAD the same way, before its end is reached.
    assert.equal(await c.command('n4', `SEARCH ${'('.repeat(DEEP)}`), `n4 BAD ${NESTING_TEXT}\r\n`);
    await stillUsable('u2');
  });

  it(`SEARCH NOT / OR chains: ${DEEP} deep is BAD; an OR of 40 senders works`, async () => {
    assert.equal(await c.command('o1', `SEARCH ${'NOT '.repeat(DEEP)}ALL`), `o1 BAD ${SEARCH_DEPTH_TEXT}\r\n`);
    // 7 bytes a level: 9,000 levels keep the line under the 64 KiB line limit, so the depth is what is refused.
    assert.equal(await c.command('o2', `SEARCH ${'OR ALL '.repeat(9000)}ALL`), `o2 BAD ${SEARCH_DEPTH_TEXT}\r\n`);
    const senders = Array.from({ length: 40 }, (_, i) => `FROM s${i}@example.org`);
    const any = `${'OR '.repeat(senders.length - 1)}${senders.join(' ')}`; // left-nested: OR OR … a b c …
    assert.equal(await c.command('o3', `SEARCH ${any}`), '* SEARCH\r\no3 OK SEARCH completed\r\n');
    assert.equal(await c.command('o4', `SEARCH ${'NOT '.repeat(MAX_SEARCH_DEPTH + 1)}ALL`), `o4 BAD ${SEARCH_DEPTH_TEXT}\r\n`);
    await stillUsable('u3');
  });

  it('SORT and THREAD criteria nested 10,000 deep are BAD', async () => {
    assert.equal(await c.command('t1', `SORT (DATE) UTF-8 ${nested(DEEP, 'ALL')}`), `t1 BAD ${NESTING_TEXT}\r\n`);
    assert.equal(await c.command('t2', `THREAD REFERENCES UTF-8 ${nested(DEEP, 'ALL')}`), `t2 BAD ${NESTING_TEXT}\r\n`);
    assert.equal(await c.command('t3', `UID THREAD REFERENCES UTF-8 ${'NOT '.repeat(DEEP)}ALL`), `t3 BAD ${SEARCH_DEPTH_TEXT}\r\n`);
    await stillUsable('u4');
  });

  it('FETCH, STORE, STATUS, LIST and APPEND lists nested 10,000 deep are BAD, and the session goes on', async () => {
    const answers = [
      await c.command('f1', `FETCH 1 ${nested(DEEP, 'FLAGS')}`),
      await c.command('f2', `FETCH 1 (BODY.PEEK[HEADER.FIELDS ${nested(DEEP, 'SUBJECT')}])`),
      await c.command('f3', `FETCH 1 (FLAGS) ${nested(DEEP, 'CHANGEDSINCE 1')}`),
      await c.command('f4', `STORE 1 +FLAGS ${nested(DEEP, '\\Seen')}`),
      await c.command('f5', `STATUS INBOX ${nested(DEEP, 'MESSAGES')}`),
      await c.command('f6', `LIST ${nested(DEEP, 'SUBSCRIBED')} "" "*"`),
      await c.command('f7', `LIST "" "*" RETURN (STATUS ${nested(DEEP, 'MESSAGES')})`),
    ];
    for (const [i, answer] of answers.entries()) assert.match(answer, new RegExp(`^f${i + 1} BAD [^\\r]+\\r\\n$`), answer.slice(0, 200));
    // FETCH items do not nest (RFC 3501 §9 fetch-att), so the first "(" inside the list is an unknown item: no
    // recursion at all. The lists that do nest — SEARCH's, above — stop at the limit.
    assert.equal(answers[0], 'f1 BAD Unknown FETCH item at this position\r\n');
    // APPEND with nested flags: refused before the literal is invited, and its bytes are not taken for commands.
    const m = 'Subject: x\r\n\r\nA1 LOGOUT\r\n';
    assert.match(await c.command('p1', `APPEND INBOX ${nested(DEEP, '\\Seen')} {${m.length}+}\r\n${m}`), /^p1 BAD /m);
    assert.match(await c.command('s1', 'STATUS INBOX (MESSAGES)'), /^\* STATUS "?INBOX"? \(MESSAGES 1\)\r\ns1 OK/);
    await stillUsable('u5');
    assert.deepEqual(
      f.problems.filter((p) => JSON.stringify(p).includes('SERVERBUG') || JSON.stringify(p).includes('Maximum call stack')),
      [],
    );
  });
});
