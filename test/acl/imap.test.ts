// RFC 4314 ACL and RFC 2342 namespaces over real IMAP: every right of the §4 table allows and denies exactly its
// operations on a mailbox another user shares, a right revoked in one session stops the next write of another, and
// two tenants with identical local parts and folder names cannot reach each other.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../e2e/fixture.js';
import { RawClient } from '../e2e/raw-client.js';
import { addUser } from '../../src/mailstore/directory.js';

const BOX = '"Other Users/alice@example.com/Box"';
const MESSAGE = 'From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n';

for (const backend of ['embedded', 'aws'] as const) describe(`ACL over IMAP (${backend === 'aws' ? 'DynamoDB Local + S3' : 'SQLite + files'})`, () => {
  let f: Fixture;
  let alice: RawClient;
  let bob: RawClient;
  let n = 0;
  const tag = () => `t${++n}`;
  /** Runs a command and returns its whole answer. */
  const run = (c: RawClient, line: string) => c.command(tag(), line);
  const ok = async (c: RawClient, line: string) => {
    const answer = await run(c, line);
    assert.match(answer, /(^|\r\n)t\d+ OK/, `${line}\n${answer}`);
    return answer;
  };
  const no = async (c: RawClient, line: string) => {
    const answer = await run(c, line);
    assert.match(answer, /(^|\r\n)t\d+ NO/, `${line}\n${answer}`);
    return answer;
  };
  const signIn = async (user: string) => {
    const c = await RawClient.connect(f.port);
    await ok(c, `LOGIN "${user}" "pw"`);
    return c;
  };
  /** Sets bob's rights on alice's Box (alice's session). */
  const grant = (rights: string) => ok(alice, `SETACL Box "bob@example.com" "${rights}"`);
  const flagsOf = async (c: RawClient, seq: number) =>
    (/FLAGS \(([^)]*)\)/.exec(await ok(c, `FETCH ${seq} (FLAGS)`))?.[1] ?? '').replace(/ ?\\Recent/, '');

  before(async () => {
    f = await startFixture({ backend });
    await addUser(f.ctx, 'bob@example.com', 'pw');
    await addUser(f.ctx, 'alice@other.example', 'pw');
    alice = await RawClient.connect(f.port);
    await ok(alice, `LOGIN "${f.user}" "${f.password}"`);
    bob = await signIn('bob@example.com');
    await ok(alice, 'CREATE Box');
    for (let i = 0; i < 3; i++) assert.match(await alice.append(tag(), 'Box', MESSAGE), /OK/);
  });

  after(async () => {
    alice.close();
    bob.close();
    await f.close();
  });

  it('advertises ACL and RIGHTS=texk; NAMESPACE names the three namespaces', async () => {
    assert.match(await ok(bob, 'CAPABILITY'), /\bACL\b.*\bRIGHTS=texk\b/);
    assert.match(await ok(bob, 'NAMESPACE'), /\* NAMESPACE \(\("" "\/"\)\) \(\("Other Users\/" "\/"\)\) \(\("Shared\/" "\/"\)\)/);
  });

  it('l: LIST shows the shared folder only with l; r: SELECT, EXAMINE and STATUS only with r', async () => {
    await grant('');
    assert.doesNotMatch(await ok(bob, 'LIST "" "*"'), /Other Users/);
    await no(bob, `SELECT ${BOX}`);
    await grant('l');
    const listed = await ok(bob, 'LIST "" "*"');
    assert.match(listed, /\* LIST \([^)]*\) "\/" "Other Users\/alice@example.com\/Box"/);
    assert.match(listed, /\* LIST \(\\Noselect[^)]*\) "\/" "Other Users"/);
    assert.match(await ok(bob, `MYRIGHTS ${BOX}`), /\* MYRIGHTS "Other Users\/alice@example.com\/Box" "l"\r\n/);
    await no(bob, `SELECT ${BOX}`);
    await no(bob, `STATUS ${BOX} (MESSAGES)`);
    // r without l: not listed, but opened by name and its messages read (RFC 4314 §4: SELECT needs r, LIST l).
    await grant('r');
    assert.doesNotMatch(await ok(bob, 'LIST "" "*"'), /Other Users/);
    await ok(bob, `EXAMINE ${BOX}`);
    assert.match(await ok(bob, 'FETCH 1 (ENVELOPE BODY.PEEK[TEXT])'), /hello/);
    await ok(bob, 'CLOSE');
    await grant('lr');
    assert.match(await ok(bob, `STATUS ${BOX} (MESSAGES)`), /MESSAGES 3/);
    // RFC 4314 §5.2: none of i e s w t → READ-ONLY.
    assert.match(await ok(bob, `SELECT ${BOX}`), /OK \[READ-ONLY\]/);
    await grant('lrs');
    assert.match(await ok(bob, `SELECT ${BOX}`), /OK \[READ-WRITE\]/);
  });

  it('s, w, t: STORE changes exactly the flags the rights cover and leaves the rest (no NO)', async () => {
    await grant('lrw');
    await ok(bob, `SELECT ${BOX}`);
    await ok(bob, 'STORE 1 +FLAGS (\\Seen \\Flagged \\Deleted)');
    assert.equal(await flagsOf(bob, 1), '\\Flagged', 'w: \\Flagged only');
    await grant('lrs');
    await ok(bob, 'STORE 1 -FLAGS (\\Flagged)');
    await ok(bob, 'STORE 1 +FLAGS (\\Seen \\Deleted)');
    assert.equal(await flagsOf(bob, 1), '\\Seen \\Flagged', 's: \\Seen only');
    await grant('lrt');
    await ok(bob, 'STORE 1 FLAGS (\\Deleted)');
    assert.equal(await flagsOf(bob, 1), '\\Seen \\Flagged \\Deleted', 't: \\Deleted only, replace keeps the others');
  });

  it('e: EXPUNGE only with e', async () => {
    await grant('lrt');
    await ok(bob, `SELECT ${BOX}`);
    await no(bob, 'EXPUNGE');
    await ok(bob, 'CLOSE'); // §4: CLOSE without e ignores the expunge and still answers OK
    assert.match(await ok(alice, 'STATUS Box (MESSAGES)'), /MESSAGES 3/);
    await ok(bob, `SELECT ${BOX}`);
    await grant('lrte');
    assert.match(await ok(bob, 'EXPUNGE'), /\* 1 EXPUNGE/);
    assert.match(await ok(alice, 'STATUS Box (MESSAGES)'), /MESSAGES 2/);
  });

  it('i: APPEND and COPY into the shared folder only with i', async () => {
    await grant('lr');
    assert.match(await bob.append(tag(), BOX, MESSAGE), /NO/);
    await ok(bob, 'SELECT INBOX');
    assert.match(await bob.append(tag(), 'INBOX', MESSAGE), /OK/);
    await no(bob, `COPY 1 ${BOX}`);
    await grant('li');
    assert.match(await bob.append(tag(), BOX, MESSAGE, '(\\Seen)'), /OK \[APPENDUID/);
    await ok(bob, `COPY 1 ${BOX}`);
    assert.match(await ok(alice, 'STATUS Box (MESSAGES)'), /MESSAGES 4/);
    // The owner reads what bob put there (bytes and cold item were moved under alice).
    await ok(alice, 'EXAMINE Box');
    assert.match(await ok(alice, 'FETCH 4 (BODY.PEEK[HEADER.FIELDS (SUBJECT)] FLAGS)'), /Subject: hi[\s\S]*FLAGS \(\)/);
  });

  it('k: CREATE under the shared folder only with k; x: DELETE only with x; RENAME needs both', async () => {
    await grant('lr');
    await no(bob, `CREATE "Other Users/alice@example.com/Box/Child"`);
    await grant('lrk');
    await ok(bob, `CREATE "Other Users/alice@example.com/Box/Child"`);
    assert.match(await ok(alice, 'LIST "" "Box/*"'), /"Box\/Child"/);
    await no(bob, `DELETE "Other Users/alice@example.com/Box/Child"`);
    await no(bob, `RENAME "Other Users/alice@example.com/Box/Child" "Other Users/alice@example.com/Box/Kid"`);
    await ok(alice, 'SETACL Box/Child "bob@example.com" "lrx"');
    await ok(bob, `RENAME "Other Users/alice@example.com/Box/Child" "Other Users/alice@example.com/Box/Kid"`);
    await ok(bob, `DELETE "Other Users/alice@example.com/Box/Kid"`);
    assert.doesNotMatch(await ok(alice, 'LIST "" "Box/*"'), /Child|Kid/);
  });

  it('a: GETACL, SETACL, DELETEACL and LISTRIGHTS only with a', async () => {
    await grant('lr');
    await no(bob, `GETACL ${BOX}`);
    await no(bob, `SETACL ${BOX} "anyone" "lr"`);
    await no(bob, `LISTRIGHTS ${BOX} "anyone"`);
    await grant('lra');
    assert.match(await ok(bob, `GETACL ${BOX}`), /\* ACL "Other Users\/alice@example.com\/Box" "alice@example.com" "lrswipkxteacd" "bob@example.com" "lra"\r\n/);
    assert.match(await ok(bob, `LISTRIGHTS ${BOX} anyone`), /\* LISTRIGHTS "Other Users\/alice@example.com\/Box" "anyone" "" "l" "r" "s" "w" "i" "p" "k" "x" "t" "e" "a" "c" "d"\r\n/);
    await ok(bob, `SETACL ${BOX} anyone +lr`);
    await ok(bob, `DELETEACL ${BOX} anyone`);
    assert.match(await run(bob, `SETACL ${BOX} anyone lrQ`), /BAD/, 'unknown rights are a BAD (§3.1)');
  });

  it('a right revoked by one session stops the next write of another, already selected, session', async () => {
    await grant('lrw');
    await ok(bob, `SELECT ${BOX}`);
    await ok(bob, 'STORE 1 +FLAGS (\\Answered)');
    assert.match(await flagsOf(bob, 1), /\\Answered/);
    await grant('lr'); // alice's session revokes w
    await ok(bob, 'STORE 1 +FLAGS (\\Draft)');
    await ok(alice, 'EXAMINE Box');
    assert.doesNotMatch(await flagsOf(alice, 1), /\\Draft/, 'the write after the revocation changed nothing');
    await grant('li');
    const other = await signIn('bob@example.com');
    assert.match(await other.append(tag(), BOX, MESSAGE), /OK/);
    await grant('l'); // revoked between two APPENDs of the same session
    assert.match(await other.append(tag(), BOX, MESSAGE), /NO/);
    other.close();
  });

  it('tenants with the same local part cannot name, share with or list each other', async () => {
    await ok(alice, 'SETACL Box anyone lrswipkxtea');
    await no(alice, 'SETACL Box "alice@other.example" lr');
    const eve = await signIn('alice@other.example');
    await ok(eve, 'CREATE Box');
    await no(eve, 'SETACL Box "alice@example.com" lr');
    await no(eve, 'SETACL Box "bob@example.com" lr');
    await no(eve, `SELECT ${BOX}`);
    await no(eve, `STATUS ${BOX} (MESSAGES)`);
    // Refused before any literal is read (a non-synchronizing literal, so the client does not wait for "+").
    await no(eve, `APPEND ${BOX} {${MESSAGE.length}+}\r\n${MESSAGE}`);
    await no(eve, `GETACL ${BOX}`);
    await no(eve, `MYRIGHTS ${BOX}`);
    assert.doesNotMatch(await ok(eve, 'LIST "" "*"'), /Other Users|Shared/);
    assert.match(await ok(eve, 'STATUS Box (MESSAGES)'), /MESSAGES 0/, 'her own Box, untouched');
    eve.close();
    await ok(alice, 'DELETEACL Box anyone');
  });
});
