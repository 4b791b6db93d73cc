// Extensions over real TCP: ENABLE (RFC 5161), ID (RFC 2971), NAMESPACE (RFC 2342), MOVE / UID MOVE (RFC 6851),
// CREATE-SPECIAL-USE (RFC 6154 §3), STATUS=SIZE (RFC 8438), CHILDREN (RFC 3348), and CAPABILITY advertising them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from './fixture.js';
import { RawClient } from './raw-client.js';

const message = (n: number, size = 0): string =>
  `From: a@example.com\r\nTo: b@example.com\r\nSubject: message ${n}\r\nMessage-ID: <m${n}@example.com>\r\n\r\nbody ${n}${'x'.repeat(size)}\r\n`;

describe('IMAP extensions', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f.close();
  });

  async function raw(): Promise<RawClient> {
    const c = await RawClient.connect(f.port);
    assert.match(await c.command('L', `LOGIN "${f.user}" "${f.password}"`), /L OK/);
    return c;
  }

  it('advertises the implemented extensions', async () => {
    const c = await raw();
    const caps = await c.command('c1', 'CAPABILITY');
    for (const cap of ['ENABLE', 'ID', 'NAMESPACE', 'MOVE', 'CHILDREN', 'STATUS=SIZE', 'CREATE-SPECIAL-USE', 'UIDPLUS']) {
      assert.match(caps, new RegExp(` ${cap.replace(/[=]/g, '\\$&')}( |\\r)`), cap);
    }
    c.close();
  });

  it('ID answers name and version in any state; NAMESPACE names the personal namespace', async () => {
    const c = await RawClient.connect(f.port);
    const id = await c.command('i1', 'ID ("name" "raw-test" "version" "1")');
    assert.match(id, /^\* ID \("name" "Stratus" "version" "[^"]+"/m);
    assert.match(id, /i1 OK/);
    assert.match(await c.command('i2', 'ID NIL'), /\* ID \("name" "Stratus"/);
    assert.match(await c.command('n0', 'NAMESPACE'), /n0 BAD/, 'NAMESPACE needs authentication');
    assert.match(await c.command('L', `LOGIN "${f.user}" "${f.password}"`), /L OK/);
    assert.match(await c.command('n1', 'NAMESPACE'), /\* NAMESPACE \(\("" "\/"\)\) \(\("Other Users\/" "\/"\)\) \(\("Shared\/" "\/"\)\)\r\nn1 OK/);
    c.close();
  });

  it('ENABLE enables advertised extensions only, each once, and only in the authenticated state', async () => {
    const c = await raw();
    const caps = await c.command('c1', 'CAPABILITY');
    const first = await c.command('e1', 'ENABLE X-UNKNOWN IMAP4rev2-NOT-A-CAP');
    assert.match(first, /^\* ENABLED\r\ne1 OK/m);
    if (/ CONDSTORE[ \r]/.test(caps)) {
      assert.match(await c.command('e2', 'ENABLE CONDSTORE'), /^\* ENABLED CONDSTORE\r\n/m);
      assert.match(await c.command('e3', 'ENABLE CONDSTORE'), /^\* ENABLED\r\n/m, 'already enabled: not listed again');
    }
    if (!/ IMAP4rev2[ \r]/.test(caps)) assert.match(await c.command('e4', 'ENABLE IMAP4rev2'), /^\* ENABLED\r\n/m);
    await c.command('s', 'SELECT INBOX');
    assert.match(await c.command('e5', 'ENABLE CONDSTORE'), /e5 BAD/);
    c.close();
  });

  it('MOVE sends COPYUID in an untagged OK before the EXPUNGEs, then the tagged OK', async () => {
    const client = await f.connect();
    await client.mailboxCreate('MoveSrc');
    await client.mailboxCreate('MoveDst');
    for (let i = 1; i <= 5; i++) await client.append('MoveSrc', message(i), i === 2 ? ['\\Seen', '$Label'] : []);
    await client.logout();
    const c = await raw();
    await c.command('s', 'SELECT MoveSrc');
    const moved = await c.command('m1', 'MOVE 2:3 MoveDst');
    const dst = await c.command('st', 'STATUS MoveDst (UIDVALIDITY)');
    const uidValidity = /UIDVALIDITY (\d+)/.exec(dst)![1];
    assert.match(moved, new RegExp(`^\\* OK \\[COPYUID ${uidValidity} 2:3 1:2\\][^\\r]*\\r\\n\\* 3 EXPUNGE\\r\\n\\* 2 EXPUNGE\\r\\nm1 OK`));
    const uidMoved = await c.command('m2', 'UID MOVE 5 MoveDst');
    assert.match(uidMoved, new RegExp(`^\\* OK \\[COPYUID ${uidValidity} 5 3\\][^\\r]*\\r\\n\\* 3 EXPUNGE\\r\\nm2 OK`));
    assert.match(await c.command('m3', 'UID MOVE 99 MoveDst'), /^m3 OK/, 'nothing to move is not an error');
    assert.match(await c.command('m4', 'MOVE 1 NoSuchBox'), /m4 NO \[TRYCREATE\]/);
    assert.match(await c.command('m5', 'MOVE 9 MoveDst'), /m5 BAD/);
    assert.match(await c.command('st2', 'STATUS MoveSrc (MESSAGES UNSEEN)'), /MESSAGES 2 UNSEEN 2/);
    assert.match(await c.command('st3', 'STATUS MoveDst (MESSAGES UNSEEN)'), /MESSAGES 3 UNSEEN 2/);
    await c.command('s2', 'SELECT MoveDst');
    const fetched = await c.command('f', 'FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
    // The first SELECT of MoveDst takes the moved messages as \Recent (RFC 3501 §2.3.2).
    assert.match(fetched, /\* 1 FETCH \(UID 1 FLAGS \(\\Seen \$Label \\Recent\)/);
    assert.match(fetched, /message 2/);
    assert.match(fetched, /message 3/);
    assert.match(fetched, /message 5/);
    await c.command('e', 'EXAMINE MoveSrc');
    assert.match(await c.command('m6', 'MOVE 1 MoveDst'), /m6 NO \[READ-ONLY\]/);
    c.close();
  });

  it('MOVE of more than one transaction’s worth (48) moves every message exactly once', async () => {
    const client = await f.connect();
    await client.mailboxCreate('BigSrc');
    await client.mailboxCreate('BigDst');
    for (let i = 1; i <= 100; i++) await client.append('BigSrc', message(i));
    await client.mailboxOpen('BigSrc');
    const result = await client.messageMove('1:*', 'BigDst');
    assert.ok(result);
    assert.equal(result.uidMap?.size, 100);
    const src = await client.status('BigSrc', { messages: true });
    const dst = await client.status('BigDst', { messages: true });
    assert.ok(src && dst);
    assert.equal(src.messages, 0);
    assert.equal(dst.messages, 100);
    await client.mailboxOpen('BigDst');
    const subjects = new Set<string>();
    for await (const m of client.fetch('1:*', { envelope: true })) subjects.add(m.envelope?.subject ?? '');
    assert.equal(subjects.size, 100);
    await client.logout();
  });

  it('another session selected on the source learns the moved messages as EXPUNGE', async () => {
    const client = await f.connect();
    await client.mailboxCreate('Watched');
    for (let i = 1; i <= 3; i++) await client.append('Watched', message(i));
    await client.logout();
    const watcher = await raw();
    await watcher.command('s', 'SELECT Watched');
    const mover = await raw();
    await mover.command('s', 'SELECT Watched');
    assert.match(await mover.command('m', 'MOVE 1 INBOX'), /m OK/);
    assert.match(await watcher.command('n', 'NOOP'), /\* 1 EXPUNGE\r\n/);
    watcher.close();
    mover.close();
  });

  it('CREATE-SPECIAL-USE creates with a use, refuses unknown or several uses with USEATTR, and LIST shows it', async () => {
    const c = await raw();
    assert.match(await c.command('c1', 'CREATE MySent (USE (\\Sent))'), /c1 OK/);
    assert.match(await c.command('c2', 'CREATE Odd (USE (\\Bogus))'), /c2 NO \[USEATTR\]/);
    assert.match(await c.command('c3', 'CREATE Two (USE (\\Sent \\Trash))'), /c3 NO \[USEATTR\]/);
    const list = await c.command('l', 'LIST "" "*"');
    assert.match(list, /\* LIST \([^)]*\\Sent[^)]*\) "\/" "MySent"/);
    assert.doesNotMatch(list, /Odd|Two/);
    c.close();
  });

  it('STATUS SIZE is the exact byte count; LIST marks \\HasChildren and \\HasNoChildren', async () => {
    const client = await f.connect();
    await client.mailboxCreate('Sized');
    const a = message(1, 10);
    const b = message(2, 1000);
    await client.append('Sized', a);
    await client.append('Sized', b);
    await client.mailboxCreate('Parent/Child');
    await client.logout();
    const c = await raw();
    assert.match(await c.command('s', 'STATUS Sized (MESSAGES SIZE)'), new RegExp(`MESSAGES 2 SIZE ${a.length + b.length}\\)`));
    const list = await c.command('l', 'LIST "" "Parent*"');
    assert.match(list, /\* LIST \(\\HasChildren\) "\/" "Parent"\r\n/);
    assert.match(list, /\* LIST \(\\HasNoChildren\) "\/" "Parent\/Child"\r\n/);
    c.close();
  });
});
