// UIDONLY (RFC 9586) over TCP with exact answers: after ENABLE UIDONLY sequence numbers are BAD [UIDREQUIRED],
// FETCH answers become UIDFETCH, expunges VANISHED, and no response carries a sequence number.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';

describe('UIDONLY (RFC 9586)', () => {
  let f: Fixture;
  let c: RawClient;
  let other: RawClient;
  before(async () => {
    f = await startFixture();
    c = await RawClient.connect(f.port);
    other = await RawClient.connect(f.port);
    for (const s of [c, other]) assert.match(await s.command('L', `LOGIN "${f.user}" "${f.password}"`), /^L OK/m);
    for (let n = 1; n <= 4; n++) {
      const m = `Subject: u${n}\r\n\r\nx\r\n`;
      assert.match(await other.command(`a${n}`, `APPEND INBOX {${m.length}+}\r\n${m}`), /OK \[APPENDUID/);
    }
    // The other session takes \Recent, so the answers below do not depend on it.
    assert.match(await other.command('s', 'SELECT INBOX'), /^s OK/m);
  });
  after(async () => {
    c.close();
    other.close();
    await f.close();
  });

  it('is advertised and enabled (§3.1)', async () => {
    assert.match(await c.command('c', 'CAPABILITY'), /^\* CAPABILITY [^\r]* UIDONLY[ \r]/m);
    assert.equal(await c.command('e', 'ENABLE UIDONLY'), '* ENABLED UIDONLY\r\ne OK ENABLE completed\r\n');
    const selected = await c.command('s', 'SELECT INBOX');
    assert.doesNotMatch(selected, /UNSEEN/, 'no [UNSEEN n]: that is a sequence number');
    assert.match(selected, /^\* 4 EXISTS\r$/m);
  });

  it('FETCH, STORE, SEARCH, COPY, MOVE by sequence number and UID SEARCH with a sequence set are BAD [UIDREQUIRED] (§3.2, §3.5)', async () => {
    const refused = 'BAD [UIDREQUIRED] Message numbers are not allowed once UIDONLY is enabled\r\n';
    for (const command of ['FETCH 1 (FLAGS)', 'STORE 1 +FLAGS (\\Seen)', 'SEARCH ALL', 'COPY 1 INBOX', 'MOVE 1 Trash', 'UID SEARCH 1:2', 'UID SEARCH NOT 1']) {
      assert.equal(await c.command('b', command), `b ${refused}`, command);
    }
  });

  it('UID FETCH and UID STORE answer UIDFETCH; UID SEARCH answers as usual (§3.3)', async () => {
    assert.equal(
      await c.command('f', 'UID FETCH 2:3 (FLAGS)'),
      '* 2 UIDFETCH (FLAGS ())\r\n* 3 UIDFETCH (FLAGS ())\r\nf OK UID FETCH completed\r\n',
    );
    assert.equal(await c.command('g', 'UID FETCH 4 (UID FLAGS)'), '* 4 UIDFETCH (UID 4 FLAGS ())\r\ng OK UID FETCH completed\r\n');
    assert.equal(
      await c.command('h', 'UID STORE 3 +FLAGS (\\Flagged)'),
      '* 3 UIDFETCH (FLAGS (\\Flagged) UID 3)\r\nh OK UID STORE completed\r\n',
    );
    assert.equal(await c.command('i', 'UID SEARCH FLAGGED'), '* SEARCH 3\r\ni OK UID SEARCH completed\r\n');
  });

  it("other sessions' flag changes come as UIDFETCH, expunges as VANISHED, own EXPUNGE and UID MOVE too (§3.4, §3.6)", async () => {
    assert.match(await other.command('o1', 'STORE 1 +FLAGS.SILENT (\\Seen)'), /^o1 OK/m);
    assert.equal(await c.command('n', 'NOOP'), '* 1 UIDFETCH (FLAGS (\\Seen))\r\nn OK NOOP completed\r\n');
    assert.match(await other.command('o2', 'UID STORE 1 +FLAGS.SILENT (\\Deleted)'), /^o2 OK/m);
    assert.match(await other.command('o3', 'UID EXPUNGE 1'), /^o3 OK/m);
    assert.equal(await c.command('n2', 'NOOP'), '* VANISHED 1\r\nn2 OK NOOP completed\r\n');
    assert.match(await c.command('d', 'UID STORE 2 +FLAGS.SILENT (\\Deleted)'), /^d OK/m);
    assert.equal(await c.command('x', 'EXPUNGE'), '* VANISHED 2\r\nx OK EXPUNGE completed\r\n');
    const moved = await c.command('m', 'UID MOVE 4 Trash');
    assert.match(moved, /^\* OK \[COPYUID \d+ 4 1\] Moved\r\n\* VANISHED 4\r\nm OK UID MOVE completed\r\n$/);
  });
});
