// IMAP4rev1 and IMAP4rev2 on one server (RFC 9051 Appendix A): both are advertised, a session follows RFC 3501 until
// it sends ENABLE IMAP4rev2, and then RFC 9051 (Appendix E lists the differences). Each check runs on a rev1 and a
// rev2 session against the same mailbox, over TCP, with the exact answers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';

type Revision = 'rev1' | 'rev2';
const REVISIONS: readonly Revision[] = ['rev1', 'rev2'];

/** The raw client reads latin1; mailbox names here are UTF-8. */
const utf8 = (latin1: string): string => Buffer.from(latin1, 'latin1').toString('utf8');

describe('IMAP4rev1 and IMAP4rev2 sessions on one server (RFC 9051 Appendix A, E)', () => {
  let f: Fixture;
  let uidValidity = '';
  const open: RawClient[] = [];

  async function session(revision: Revision, select = true): Promise<RawClient> {
    const c = await RawClient.connect(f.port);
    open.push(c);
    assert.match(await c.command('L', `LOGIN "${f.user}" "${f.password}"`), /^L OK/m);
    if (revision === 'rev2') assert.equal(await c.command('E', 'ENABLE IMAP4rev2'), '* ENABLED IMAP4rev2\r\nE OK ENABLE completed\r\n');
    // EXAMINE: these sessions must not claim \Recent from one another (RFC 3501 §2.3.2).
    if (select) assert.match(await c.command('S', 'EXAMINE INBOX'), /^S OK \[READ-ONLY\]/m);
    return c;
  }

  before(async () => {
    f = await startFixture();
    const c = await RawClient.connect(f.port);
    open.push(c);
    await c.command('L', `LOGIN "${f.user}" "${f.password}"`);
    for (const [n, flags] of [[1, '(\\Seen) '], [2, ''], [3, '']] as const) {
      const m = `Subject: rev ${n}\r\n\r\nbody ${n}\r\n`;
      assert.match(await c.command(`a${n}`, `APPEND INBOX ${flags}{${m.length}+}\r\n${m}`), /OK \[APPENDUID/);
    }
    assert.match(await c.command('c1', 'CREATE Work/Sub'), /^c1 OK/m);
    assert.match(await c.command('c2', 'SUBSCRIBE Work'), /^c2 OK/m);
    uidValidity = /UIDVALIDITY (\d+)/.exec(await c.command('s', 'STATUS INBOX (UIDVALIDITY)'))![1]!;
  });
  after(async () => {
    for (const c of open) c.close();
    await f.close();
  });

  it('advertises IMAP4rev2 next to IMAP4rev1, and ENABLE IMAP4rev2 answers ENABLED once (RFC 5161 §3.1)', async () => {
    const c = await session('rev1', false);
    assert.match(await c.command('c', 'CAPABILITY'), /^\* CAPABILITY IMAP4rev1 IMAP4rev2 /m);
    assert.equal(await c.command('e1', 'ENABLE IMAP4rev2'), '* ENABLED IMAP4rev2\r\ne1 OK ENABLE completed\r\n');
    assert.equal(await c.command('e2', 'enable imap4rev2'), '* ENABLED\r\ne2 OK ENABLE completed\r\n');
  });

  it('SELECT: rev1 sends RECENT and UNSEEN; rev2 sends the mailbox LIST instead (RFC 9051 §6.3.2, Appendix E 10–12)', async () => {
    const expected: Record<Revision, string> = {
      rev1:
        '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n' +
        '* OK [PERMANENTFLAGS ()] Flags permitted\r\n' +
        '* 3 EXISTS\r\n' +
        '* 0 RECENT\r\n' +
        '* OK [UNSEEN 2] First unseen message\r\n' +
        `* OK [UIDVALIDITY ${uidValidity}] UIDs valid\r\n` +
        '* OK [UIDNEXT 4] Predicted next UID\r\n',
      rev2:
        '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n' +
        '* OK [PERMANENTFLAGS ()] Flags permitted\r\n' +
        '* 3 EXISTS\r\n' +
        '* LIST (\\HasNoChildren) "/" "INBOX"\r\n' +
        `* OK [UIDVALIDITY ${uidValidity}] UIDs valid\r\n` +
        '* OK [UIDNEXT 4] Predicted next UID\r\n',
    };
    for (const revision of REVISIONS) {
      const c = await session(revision, false);
      const answer = await c.command('x', 'EXAMINE INBOX');
      assert.ok(answer.startsWith(expected[revision]), `${revision}: ${answer}`);
      assert.match(answer, /^x OK \[READ-ONLY\] EXAMINE completed\r\n/m);
      // §6.3.2: the LIST of a mailbox with children says so.
      const work = await c.command('y', 'EXAMINE Work');
      assert.equal(/^\* LIST .*$/m.exec(work)?.[0], revision === 'rev2' ? '* LIST (\\HasChildren) "/" "Work"' : undefined);
    }
  });

  it('SEARCH answers SEARCH in rev1 and ESEARCH in rev2, also without RETURN (RFC 9051 §6.4.4, Appendix E 4)', async () => {
    const cases: [string, Record<Revision, string>][] = [
      ['SEARCH ALL', { rev1: '* SEARCH 1 2 3', rev2: '* ESEARCH (TAG "t") ALL 1:3' }],
      ['UID SEARCH UNSEEN', { rev1: '* SEARCH 2 3', rev2: '* ESEARCH (TAG "t") UID ALL 2:3' }],
      ['SEARCH SUBJECT "no such"', { rev1: '* SEARCH', rev2: '* ESEARCH (TAG "t")' }],
      ['SEARCH RETURN (COUNT) ALL', { rev1: '* ESEARCH (TAG "t") COUNT 3', rev2: '* ESEARCH (TAG "t") COUNT 3' }],
      // RECENT / NEW / OLD are deprecated in rev2 and no message is recent there (Appendix E 12); these EXAMINE
      // sessions claimed none in rev1 either.
      ['SEARCH RECENT', { rev1: '* SEARCH', rev2: '* ESEARCH (TAG "t")' }],
      ['SEARCH OLD', { rev1: '* SEARCH 1 2 3', rev2: '* ESEARCH (TAG "t") ALL 1:3' }],
    ];
    for (const revision of REVISIONS) {
      const c = await session(revision);
      for (const [command, answers] of cases) {
        const tagged = command.startsWith('UID') ? 'UID SEARCH' : 'SEARCH';
        assert.equal(await c.command('t', command), `${answers[revision]}\r\nt OK ${tagged} completed\r\n`, `${revision} ${command}`);
      }
    }
  });

  it('FETCH FLAGS has \\Recent only in rev1, for the first session that selects; rev2 never (RFC 9051 §2.3.2)', async () => {
    const m = 'Subject: rev 4\r\n\r\nbody 4\r\n';
    const w = await session('rev1', false);
    assert.match(await w.command('a', `APPEND INBOX {${m.length}+}\r\n${m}`), /^a OK/m);
    for (const revision of REVISIONS) {
      const c = await session(revision, false);
      const selected = await c.command('s', 'SELECT INBOX');
      assert.equal(/^\* \d+ RECENT\r$/m.exec(selected)?.[0], revision === 'rev1' ? '* 4 RECENT\r' : undefined, selected);
      assert.equal(
        await c.command('f', 'FETCH 4 (FLAGS)'),
        `* 4 FETCH (FLAGS (${revision === 'rev1' ? '\\Recent' : ''}))\r\nf OK FETCH completed\r\n`,
      );
      assert.equal(
        await c.command('g', 'STATUS INBOX (MESSAGES DELETED SIZE)'),
        '* STATUS "INBOX" (MESSAGES 4 DELETED 0 SIZE 104)\r\ng OK STATUS completed\r\n',
      );
      // Deprecated in rev2, but still answered when asked for (Appendix A): RFC822.SIZE, RFC822.HEADER, LSUB.
      assert.equal(
        await c.command('h', 'FETCH 4 (RFC822.SIZE RFC822.HEADER)'),
        '* 4 FETCH (RFC822.SIZE 26 RFC822.HEADER {18}\r\nSubject: rev 4\r\n\r\n)\r\nh OK FETCH completed\r\n',
      );
      assert.equal(await c.command('i', 'LSUB "" "*"'), '* LSUB () "/" "Work"\r\ni OK LSUB completed\r\n');
      assert.match(await c.command('u', 'UNSELECT'), /^u OK/m);
    }
  });

  it('unsolicited FETCH carries UID, and EXISTS comes without RECENT in rev2 (RFC 9051 §7.5.2, Appendix E 12, 21)', async () => {
    for (const revision of REVISIONS) {
      const c = await session(revision, false);
      assert.match(await c.command('s', 'SELECT INBOX'), /^s OK/m);
      const w = await session('rev1', false);
      assert.match(await w.command('w1', 'SELECT INBOX'), /^w1 OK/m);
      assert.match(await w.command('w2', 'STORE 2 +FLAGS.SILENT (\\Flagged)'), /^w2 OK/m);
      const m = `Subject: ${revision}\r\n\r\nx\r\n`;
      assert.match(await w.command('w3', `APPEND INBOX {${m.length}+}\r\n${m}`), /^w3 OK/m);
      const n = revision === 'rev1' ? 5 : 6;
      const recent = revision === 'rev1' ? '* 0 RECENT\r\n' : '';
      // The writer's NOOP told it first, so the new message is recent there, not here.
      await w.command('w4', 'NOOP');
      assert.equal(await c.command('n', 'NOOP'), `* ${n} EXISTS\r\n${recent}* 2 FETCH (UID 2 FLAGS (\\Flagged))\r\nn OK NOOP completed\r\n`);
      assert.match(await w.command('w5', 'STORE 2 -FLAGS.SILENT (\\Flagged)'), /^w5 OK/m);
      assert.match(await c.command('o', 'NOOP'), /^\* 2 FETCH \(UID 2 FLAGS \(\)\)\r\n/);
    }
  });

  it('mailbox names: modified UTF-7 in rev1, UTF-8 in rev2 (RFC 9051 §5.1, Appendix A)', async () => {
    const rev2 = await session('rev2', false);
    assert.match(await rev2.command('c', 'CREATE "Ünïcode/Café"'), /^c OK/m);
    assert.equal(
      utf8(await rev2.command('l', 'LIST "" "Ünïcode*"')),
      '* LIST (\\HasChildren) "/" "Ünïcode"\r\n* LIST (\\HasNoChildren) "/" "Ünïcode/Café"\r\nl OK LIST completed\r\n',
    );
    assert.equal(
      utf8(await rev2.command('s', 'STATUS "Ünïcode/Café" (MESSAGES)')),
      '* STATUS "Ünïcode/Café" (MESSAGES 0)\r\ns OK STATUS completed\r\n',
    );
    const rev1 = await session('rev1', false);
    assert.equal(
      await rev1.command('l', 'LIST "" "&ANw-n&AO8-code*"'),
      '* LIST (\\HasChildren) "/" "&ANw-n&AO8-code"\r\n* LIST (\\HasNoChildren) "/" "&ANw-n&AO8-code/Caf&AOk-"\r\nl OK LIST completed\r\n',
    );
    // 8-bit in a rev1 name is not modified UTF-7.
    assert.match(await rev1.command('b', 'SELECT "Ünïcode"'), /^b BAD/m);
    assert.match(await rev2.command('d', 'DELETE "Ünïcode/Café"'), /^d OK/m);
  });

  it('MOVE into the selected mailbox is NO [CANNOT]; COPY there works (RFC 6851 §3.3, as Dovecot)', async () => {
    for (const revision of REVISIONS) {
      const c = await session(revision, false);
      assert.match(await c.command('s', 'SELECT Work'), /^s OK/m);
      assert.match(await c.command('a', 'APPEND Work {9+}\r\nSubject: \r\n'), /^a OK/m);
      await c.command('n', 'NOOP');
      assert.equal(await c.command('m', 'MOVE 1 Work'), "m NO [CANNOT] Can't move messages within the same mailbox\r\n");
      assert.equal(await c.command('u', 'UID MOVE 1:* Work'), "u NO [CANNOT] Can't move messages within the same mailbox\r\n");
      const copied = await c.command('k', 'COPY 1 Work');
      assert.match(copied, /^k OK \[COPYUID \d+ \d+ \d+\] COPY completed\r\n/m);
      assert.match(copied, /^\* \d+ EXISTS\r\n/m);
      assert.match(await c.command('x', 'STORE 1:* +FLAGS.SILENT (\\Deleted)'), /^x OK/m);
      assert.match(await c.command('y', 'CLOSE'), /^y OK/m);
    }
  });
});
