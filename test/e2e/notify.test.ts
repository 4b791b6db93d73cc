// NOTIFY (RFC 5465) in one process, over raw sockets: what a session is told, between commands and without asking,
// about the selected mailbox and the others, after another session's APPEND, STORE, CREATE, RENAME, DELETE and
// SUBSCRIBE; NOTIFY NONE; BADEVENT and the §5 / §6.1 BADs; the STATUS indicator; CONDSTORE's HIGHESTMODSEQ; a
// burst of hints costing one status read per process; the parent's LIST after a CREATE or DELETE (§5.4); no STATUS
// for the session's own APPEND (§5); a watched mailbox deleted elsewhere (§5.9).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server/main.js';
import { addUser } from '../../src/mailstore/directory.js';
import { rawLogin, within, type Frontends } from './two-frontends.js';
import type { RawClient } from './raw-client.js';

const BADEVENT = '[BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)]';

/** The tagged answer alone, once everything before it was read. */
async function ok(c: RawClient, tag: string, line: string): Promise<string> {
  const text = await within(c.command(tag, line), `${tag} ${line}`);
  assert.match(text, new RegExp(`${tag} OK[^\\r\\n]*\\r\\n$`), text);
  return text;
}

/** Nothing arrives on `c` while `action` runs and a NOOP round trip of another session completes. */
async function quiet(c: RawClient, settle: RawClient): Promise<void> {
  await ok(settle, 'Z', 'NOOP');
  await sleep(100);
  const text = await within(c.command('Q', 'NOOP'), 'NOOP');
  return assert.equal(text.replace(/^Q OK[^\r\n]*\r\n$/, ''), '', `unexpected: ${JSON.stringify(text)}`);
}

/** Everything up to the `n`th CRLF (unsolicited responses, which may come in more than one packet). */
function lines(c: RawClient, n: number): Promise<string> {
  return c.until((t) => t.split('\r\n').length > n);
}

/** A mailbox's UIDVALIDITY, asked by `c`. */
async function validity(c: RawClient, mailbox: string): Promise<string> {
  const text = await ok(c, 'V', `STATUS ${mailbox} (UIDVALIDITY)`);
  return /UIDVALIDITY (\d+)/.exec(text)![1]!;
}

function message(subject: string): string {
  return `From: b@example.org\r\nSubject: ${subject}\r\n\r\nbody\r\n`;
}

// Both invokers: the functions on the event loop, and in a worker thread (STRATUS_FUNCTION_THREADS=1), where the
// change hints and the command's answer come back over the thread's port in their own order.
for (const threads of ['0', '1']) describe(`NOTIFY in one process (${threads === '0' ? 'inline' : 'thread'} invoker)`, () => notifySuite(threads));

function notifySuite(threads: string): void {
  let dir: string;
  let server: RunningServer;
  let f: Frontends;
  let n = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-notify-'));
    const config = loadConfig({
      STRATUS_DATA_DIR: dir,
      STRATUS_IMAP_PORT: '0',
      STRATUS_POP3_PORT: 'off',
      STRATUS_LMTP_PORT: 'off',
      STRATUS_ADMIN_PORT: 'off',
      STRATUS_AUTH_FAILURE_DELAY_MS: '10',
      STRATUS_MAILBOX_POLL_MS: '3600000',
      STRATUS_FUNCTION_THREADS: threads,
    });
    server = await startServer(config, pino({ level: 'silent' }));
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh user per test, so mailbox names and counts start from nothing. */
  async function pair(): Promise<{ a: RawClient; b: RawClient }> {
    const user = `notify${++n}@example.com`;
    await addUser(server.store.ctx, user, 'pw');
    f = { portA: server.imapPort!, portB: server.imapPort!, user, password: 'pw' };
    return { a: await rawLogin(f, f.portA), b: await rawLogin(f, f.portA) };
  }

  it('advertises NOTIFY; an APPEND elsewhere gives STATUS between commands, and in the selected mailbox EXISTS + FETCH', async () => {
    const { a, b } = await pair();
    assert.match(await ok(a, 'C', 'CAPABILITY'), /\* CAPABILITY [^\r\n]* NOTIFY[ \r]/);
    await ok(b, 'C1', 'CREATE Lists');
    assert.match(await ok(a, 'S', 'SELECT INBOX'), /\* 0 EXISTS/);
    const set = await ok(a, 'N', 'NOTIFY SET (SELECTED (MessageNew (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)]) MessageExpunge FlagChange)) (PERSONAL (MessageNew MessageExpunge))');
    assert.equal(set, 'N OK NOTIFY completed\r\n');

    // Another session appends to a mailbox that is not selected: STATUS arrives with no command from A.
    assert.match(await b.append('A1', 'Lists', message('one')), /A1 OK/);
    assert.equal(await within(a.until((t) => t.endsWith('\r\n')), 'STATUS'), '* STATUS "Lists" (MESSAGES 1 UIDNEXT 2 UNSEEN 1)\r\n');

    // ... and to the selected one: EXISTS, RECENT (rev1), then the FETCH NOTIFY asked for (§5.2).
    assert.match(await b.append('A2', 'INBOX', message('hello')), /A2 OK/);
    const pushed = await within(a.until((t) => t.includes('Subject: hello\r\n\r\n)\r\n')), 'FETCH');
    assert.equal(pushed, '* 1 EXISTS\r\n* 1 RECENT\r\n* 1 FETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: hello\r\n\r\n)\r\n');

    // FlagChange and MessageExpunge in the selected mailbox, pushed between commands (SELECTED: at once).
    await ok(b, 'S', 'SELECT INBOX');
    await ok(b, 'T', 'STORE 1 +FLAGS.SILENT (\\Flagged)');
    assert.equal(await within(a.until((t) => t.endsWith('\r\n')), 'FETCH FLAGS'), '* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))\r\n');
    await ok(b, 'X', 'UID STORE 1 +FLAGS.SILENT (\\Deleted)');
    await within(a.until((t) => t.endsWith('\r\n')), 'FETCH FLAGS');
    await ok(b, 'E', 'EXPUNGE');
    assert.equal(await within(a.until((t) => t.endsWith('\r\n')), 'EXPUNGE'), '* 1 EXPUNGE\r\n');

    // The selected mailbox gets SELECTED's events only, never a STATUS, though PERSONAL names it too (§3.1).
    await ok(b, 'U', 'UNSELECT');
    assert.match(await b.append('A3', 'INBOX', message('again')), /A3 OK/);
    assert.match(await within(a.until((t) => t.includes(')\r\n')), 'FETCH'), /^\* 1 EXISTS\r\n\* 1 RECENT\r\n\* 1 FETCH \(UID 2 /);

    // NOTIFY NONE: nothing unsolicited any more; the selected mailbox's news wait for a command, as without NOTIFY.
    await ok(a, 'O', 'NOTIFY NONE');
    assert.match(await b.append('A4', 'Lists', message('two')), /A4 OK/);
    assert.match(await b.append('A5', 'INBOX', message('three')), /A5 OK/);
    await sleep(150);
    const noop = await ok(a, 'P', 'NOOP');
    assert.equal(noop, '* 2 EXISTS\r\n* 2 RECENT\r\nP OK NOOP completed\r\n');
    a.close();
    b.close();
  });

  it('SELECTED-DELAYED holds EXPUNGE back until a command allows it; no FlagChange: no FETCH FLAGS between commands', async () => {
    const { a, b } = await pair();
    assert.match(await b.append('A1', 'INBOX', message('x')), /A1 OK/);
    assert.match(await b.append('A2', 'INBOX', message('y')), /A2 OK/);
    await ok(a, 'S', 'SELECT INBOX');
    await ok(a, 'N', 'NOTIFY SET (SELECTED-DELAYED (MessageNew MessageExpunge))');
    await ok(b, 'S', 'SELECT INBOX');
    await ok(b, 'T', 'STORE 1 +FLAGS (\\Deleted)');
    await ok(b, 'E', 'EXPUNGE');
    assert.match(await b.append('A3', 'INBOX', message('z')), /A3 OK/);
    // EXISTS is pushed (the ghost still counts), the EXPUNGE is not. (A's SELECT made x and y recent to A; z is
    // recent to whichever session is told first, RFC 3501 §2.3.2 — usually B, whose APPEND takes its own commit in
    // without reading the log, commands/append.ts.)
    assert.match(await within(a.until((t) => t.includes('RECENT\r\n')), 'EXISTS'), /^\* 3 EXISTS\r\n\* [23] RECENT\r\n$/);
    await sleep(100);
    // FETCH is a command that must not carry EXPUNGE; NOOP does.
    assert.equal(await ok(a, 'F', 'FETCH 1 (UID)'), '* 1 FETCH (UID 1)\r\nF OK FETCH completed\r\n');
    assert.equal(await ok(a, 'P', 'NOOP'), '* 1 EXPUNGE\r\nP OK NOOP completed\r\n');
    a.close();
    b.close();
  });

  it('BADEVENT for unsupported events, BAD for the §5 and §6.1 rules, and NOTIFY before login is refused', async () => {
    const { a, b } = await pair();
    for (const line of [
      'NOTIFY SET (SELECTED (MessageNew MessageExpunge AnnotationChange))',
      'NOTIFY SET (PERSONAL (MailboxMetadataChange))',
      'NOTIFY SET (PERSONAL (ServerMetadataChange))',
      'NOTIFY SET (INBOXES (MessageNew MessageExpunge Xyzzy))',
    ]) {
      assert.match(await within(a.command('B', line), line), new RegExp(`^B NO ${BADEVENT.replace(/[[\]()]/g, '\\$&')} `), line);
    }
    for (const line of [
      'NOTIFY SET (SELECTED (MessageNew))', // §5: MessageNew without MessageExpunge
      'NOTIFY SET (PERSONAL (FlagChange))', // §5: FlagChange alone
      'NOTIFY SET (SELECTED (MailboxName))', // §6.1: message events only
      'NOTIFY SET (SELECTED (MessageNew MessageExpunge)) (SELECTED-DELAYED (MessageNew MessageExpunge))',
      'NOTIFY SET (PERSONAL (MessageNew (UID) MessageExpunge))', // fetch-atts only for SELECTED
      'NOTIFY SET',
      'NOTIFY SET (NOWHERE (MessageNew MessageExpunge))',
      'NOTIFY MAYBE',
    ]) {
      assert.match(await within(a.command('D', line), line), /^D BAD /, line);
    }
    // The session still works, and NOTIFY SET with the NONE event list is fine.
    await ok(a, 'E', 'NOTIFY SET (SELECTED NONE) (PERSONAL NONE)');
    const c = await (await import('./raw-client.js')).RawClient.connect(server.imapPort!);
    assert.match(await within(c.command('X', 'NOTIFY NONE'), 'NOTIFY NONE'), /^X BAD /);
    c.close();
    a.close();
    b.close();
  });

  it('MailboxName and SubscriptionChange: LIST for what another session creates, renames, deletes, subscribes', async () => {
    const { a, b } = await pair();
    await ok(a, 'N', 'NOTIFY SET (PERSONAL (MailboxName SubscriptionChange))');
    const next = (what: string) => within(a.until((t) => t.endsWith('\r\n')), what);
    await ok(b, 'C', 'CREATE Projects');
    assert.equal(await next('LIST create'), '* LIST (\\HasNoChildren) "/" "Projects"\r\n');
    await ok(b, 'R', 'RENAME Projects Done');
    assert.equal(await next('LIST rename'), '* LIST (\\HasNoChildren) "/" "Done" ("OLDNAME" ("Projects"))\r\n');
    await ok(b, 'U', 'SUBSCRIBE Done');
    assert.equal(await next('LIST subscribe'), '* LIST (\\HasNoChildren \\Subscribed) "/" "Done"\r\n');
    await ok(b, 'V', 'UNSUBSCRIBE Done');
    assert.equal(await next('LIST unsubscribe'), '* LIST (\\HasNoChildren) "/" "Done"\r\n');
    await ok(b, 'D', 'DELETE Done');
    assert.equal(await next('LIST delete'), '* LIST (\\NonExistent) "/" "Done"\r\n');
    // A's own CREATE / RENAME / DELETE are not announced to A (§5: SHOULD NOT), and nothing else comes.
    assert.match(await ok(a, 'C2', 'CREATE Mine'), /^C2 OK \[MAILBOXID \(\w+\)\] CREATE completed\r\n$/);
    assert.equal(await ok(a, 'R2', 'RENAME Mine Yours'), 'R2 OK RENAME completed\r\n');
    assert.equal(await ok(a, 'D2', 'DELETE Yours'), 'D2 OK DELETE completed\r\n');
    await quiet(a, b);
    a.close();
    b.close();
  });

  it('the STATUS indicator sends STATUS at once; CONDSTORE adds HIGHESTMODSEQ; SUBTREE and MAILBOXES pick mailboxes', async () => {
    const { a, b } = await pair();
    await ok(b, 'C1', 'CREATE Lists/One');
    await ok(b, 'C2', 'CREATE Other');
    assert.match(await b.append('A1', 'Lists/One', message('one')), /A1 OK/);
    const status = await ok(a, 'N', 'NOTIFY SET STATUS (SUBTREE Lists (MessageNew MessageExpunge))');
    const validity = /\* STATUS "Lists\/One" \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY (\d+) UNSEEN 1\)\r\n/.exec(status);
    assert.ok(validity, status);
    assert.match(status, /^\* STATUS "Lists" \(MESSAGES 0 UIDNEXT 1 UIDVALIDITY \d+ UNSEEN 0\)\r\n/);
    // Other is outside the subtree: nothing for it.
    assert.match(await b.append('A2', 'Other', message('o')), /A2 OK/);
    await quiet(a, b);
    await ok(a, 'E', 'ENABLE CONDSTORE');
    await ok(a, 'M', 'NOTIFY SET (MAILBOXES (Other "Lists/One") (MessageNew MessageExpunge FlagChange))');
    assert.match(await b.append('A3', 'Other', message('p')), /A3 OK/);
    assert.match(await within(a.until((t) => t.endsWith('\r\n')), 'STATUS'), /^\* STATUS "Other" \(MESSAGES 2 UIDNEXT 3 UNSEEN 2 HIGHESTMODSEQ \d+\)\r\n$/);
    // FlagChange: \Seen set elsewhere changes UNSEEN.
    await ok(b, 'S', 'SELECT "Lists/One"');
    await ok(b, 'T', 'STORE 1 +FLAGS.SILENT (\\Seen)');
    assert.match(await within(a.until((t) => t.endsWith('\r\n')), 'STATUS'), /^\* STATUS "Lists\/One" \(MESSAGES 1 UIDNEXT 2 UNSEEN 0 HIGHESTMODSEQ \d+\)\r\n$/);
    a.close();
    b.close();
  });

  it('QRESYNC: an expunge elsewhere is pushed as VANISHED; IMAP4rev2: no RECENT, and the FETCH follows EXISTS', async () => {
    const { a, b } = await pair();
    assert.match(await b.append('A1', 'INBOX', message('q')), /A1 OK/);
    await ok(a, 'E', 'ENABLE QRESYNC');
    await ok(a, 'S', 'SELECT INBOX');
    await ok(a, 'N', 'NOTIFY SET (SELECTED (MessageNew MessageExpunge))');
    await ok(b, 'S', 'SELECT INBOX');
    await ok(b, 'T', 'STORE 1 +FLAGS.SILENT (\\Deleted)');
    await ok(b, 'X', 'EXPUNGE');
    // No FlagChange asked for: the \Deleted STORE is not pushed; the expunge is, as VANISHED (RFC 7162 §3.2.10).
    assert.equal(await within(a.until((t) => t.endsWith('\r\n')), 'VANISHED'), '* VANISHED 1\r\n');

    const c = await rawLogin(f, f.portA);
    await ok(c, 'E', 'ENABLE IMAP4rev2');
    await ok(c, 'S', 'SELECT INBOX');
    await ok(c, 'N', 'NOTIFY SET (SELECTED (MessageNew (UID) MessageExpunge)) (PERSONAL (MessageNew MessageExpunge))');
    assert.match(await b.append('A2', 'INBOX', message('r')), /A2 OK/);
    assert.equal(await within(c.until((t) => t.includes('FETCH')), 'EXISTS + FETCH'), '* 1 EXISTS\r\n* 1 FETCH (UID 2)\r\n');
    a.close();
    b.close();
    c.close();
  });

  it('during IDLE the events NOTIFY asked for arrive (§4), and without SELECTED the selected mailbox waits for DONE', async () => {
    const { a, b } = await pair();
    await ok(b, 'C', 'CREATE Lists');
    await ok(a, 'S', 'SELECT INBOX');
    await ok(a, 'N', 'NOTIFY SET (MAILBOXES Lists (MessageNew MessageExpunge))');
    a.write('I IDLE\r\n');
    await within(a.until((t) => t.includes('+ idling\r\n')), '+ idling');
    assert.match(await b.append('A1', 'INBOX', message('held')), /A1 OK/);
    assert.match(await b.append('A2', 'Lists', message('told')), /A2 OK/);
    assert.equal(await within(a.until((t) => t.endsWith('\r\n')), 'STATUS in IDLE'), '* STATUS "Lists" (MESSAGES 1 UIDNEXT 2 UNSEEN 1)\r\n');
    a.write('DONE\r\n');
    assert.equal(await within(a.until((t) => /I OK[^\r\n]*\r\n/.test(t)), 'DONE'), '* 1 EXISTS\r\n* 1 RECENT\r\nI OK IDLE terminated\r\n');
    a.close();
    b.close();
  });

  it('SETACL granting l is a mailbox created for the grantee, DELETEACL one deleted (§5.4)', async () => {
    const { a: owner, b: other } = await pair();
    const ownerLogin = f.user;
    const granteeLogin = `grantee${n}@example.com`;
    await addUser(server.store.ctx, granteeLogin, 'pw');
    const grantee = await rawLogin({ ...f, user: granteeLogin }, f.portA);
    await ok(owner, 'C', 'CREATE Team');
    await ok(grantee, 'N', 'NOTIFY SET (SUBTREE "Other Users" (MailboxName))');
    await ok(owner, 'G', `SETACL Team ${granteeLogin} lr`);
    const name = `"Other Users/${ownerLogin}/Team"`;
    // §5.4: the mailbox and its direct parent "whether it is an existing mailbox or not" — here it is not.
    const parent = `"Other Users/${ownerLogin}"`;
    assert.equal(
      await within(lines(grantee, 2), 'LIST for the grant'),
      `* LIST (\\HasNoChildren) "/" ${name}\r\n* LIST (\\NonExistent \\HasChildren) "/" ${parent}\r\n`,
    );
    await ok(owner, 'D', `DELETEACL Team ${granteeLogin}`);
    assert.equal(await within(lines(grantee, 2), 'LIST for the revoke'), `* LIST (\\NonExistent) "/" ${name}\r\n* LIST (\\NonExistent) "/" ${parent}\r\n`);
    await quiet(grantee, owner);
    owner.close();
    other.close();
    grantee.close();
  });

  it('a mailbox created elsewhere under PERSONAL is watched from then on', async () => {
    const { a, b } = await pair();
    await ok(a, 'N', 'NOTIFY SET (PERSONAL (MessageNew MessageExpunge MailboxName))');
    await ok(b, 'C', 'CREATE Later');
    assert.equal(await within(a.until((t) => t.endsWith('\r\n')), 'LIST'), '* LIST (\\HasNoChildren) "/" "Later"\r\n');
    assert.match(await b.append('A', 'Later', message('later')), /A OK/);
    assert.equal(await within(a.until((t) => t.endsWith('\r\n')), 'STATUS'), '* STATUS "Later" (MESSAGES 1 UIDNEXT 2 UNSEEN 1)\r\n');
    a.close();
    b.close();
  });
  it('§5.4: a mailbox created or deleted elsewhere gives a LIST for it and one for its parent, with \\HasChildren now', async () => {
    const { a, b } = await pair();
    await ok(a, 'N', 'NOTIFY SET (PERSONAL (MailboxName))');
    await ok(b, 'C', 'CREATE Work');
    assert.equal(await within(lines(a, 1), 'LIST Work'), '* LIST (\\HasNoChildren) "/" "Work"\r\n');
    // "If a mailbox is created or deleted, the mailbox itself and its direct parent (whether it is an existing mailbox
    // or not) are considered to be affected" — "an unsolicited LIST response for each affected mailbox name", and
    // "The server SHOULD also include \HasChildren or \HasNoChildren attributes".
    await ok(b, 'C1', 'CREATE Work/Q1');
    assert.equal(await within(lines(a, 2), 'LIST Work/Q1 + Work'), '* LIST (\\HasNoChildren) "/" "Work/Q1"\r\n* LIST (\\HasChildren) "/" "Work"\r\n');
    await ok(b, 'C2', 'CREATE Work/Q2');
    assert.equal(await within(lines(a, 2), 'LIST Work/Q2 + Work'), '* LIST (\\HasNoChildren) "/" "Work/Q2"\r\n* LIST (\\HasChildren) "/" "Work"\r\n');
    await ok(b, 'D1', 'DELETE Work/Q1');
    assert.equal(await within(lines(a, 2), 'LIST -Work/Q1 + Work'), '* LIST (\\NonExistent) "/" "Work/Q1"\r\n* LIST (\\HasChildren) "/" "Work"\r\n');
    await ok(b, 'D2', 'DELETE Work/Q2');
    assert.equal(await within(lines(a, 2), 'LIST -Work/Q2 + Work'), '* LIST (\\NonExistent) "/" "Work/Q2"\r\n* LIST (\\HasNoChildren) "/" "Work"\r\n');
    // A name created with its parent: the parent first, each once.
    await ok(b, 'C3', 'CREATE Deep/Er');
    assert.equal(await within(lines(a, 2), 'LIST Deep + Deep/Er'), '* LIST (\\HasChildren) "/" "Deep"\r\n* LIST (\\HasNoChildren) "/" "Deep/Er"\r\n');
    // The session's own CREATE / DELETE under Work: neither the mailbox nor the parent is announced to it (§5).
    await ok(a, 'C4', 'CREATE Work/Mine');
    await ok(a, 'D4', 'DELETE Work/Mine');
    await quiet(a, b);

    // A client watching only the parent learns of a child created under it; one watching elsewhere learns nothing.
    const c = await rawLogin(f, f.portA);
    await ok(a, 'M', 'NOTIFY SET (MAILBOXES Work (MailboxName))');
    await ok(c, 'M', 'NOTIFY SET (MAILBOXES Deep/Er (MailboxName))');
    await ok(b, 'C5', 'CREATE Work/Q3');
    assert.equal(await within(lines(a, 2), 'LIST for the parent watcher'), '* LIST (\\HasNoChildren) "/" "Work/Q3"\r\n* LIST (\\HasChildren) "/" "Work"\r\n');
    await quiet(c, b);
    a.close();
    b.close();
    c.close();
  });

  it("§5: the session's own APPEND to a watched mailbox gives it no STATUS; another session's APPEND does", async () => {
    const { a, b } = await pair();
    await ok(b, 'C', 'CREATE Lists');
    await ok(a, 'N', 'NOTIFY SET (PERSONAL (MessageNew MessageExpunge FlagChange))');
    // "The server SHOULD omit notifying the client if the event is caused by this client."
    assert.equal(await a.append('A1', 'Lists', message('mine')), `A1 OK [APPENDUID ${await validity(b, 'Lists')} 1] APPEND completed\r\n`);
    await quiet(a, b);
    assert.match(await a.append('A2', 'Lists', message('mine too')), /^A2 OK \[APPENDUID \d+ 2\] APPEND completed\r\n$/);
    await quiet(a, b);
    // Someone else's APPEND: told, with the counts as they are now (its own two messages included).
    assert.match(await b.append('B1', 'Lists', message('theirs')), /B1 OK/);
    assert.equal(await within(lines(a, 1), 'STATUS'), '* STATUS "Lists" (MESSAGES 3 UIDNEXT 4 UNSEEN 3)\r\n');
    // And its own again, after that: silent.
    assert.match(await a.append('A3', 'Lists', message('mine again')), /^A3 OK /);
    await quiet(a, b);
    // Only its own changes are left out: another session's flag change right after is told (FlagChange: UNSEEN).
    await ok(b, 'S', 'SELECT Lists');
    await ok(b, 'T', 'STORE 1 +FLAGS.SILENT (\\Seen)');
    assert.equal(await within(lines(a, 1), 'STATUS for the flag'), '* STATUS "Lists" (MESSAGES 4 UIDNEXT 5 UNSEEN 3)\r\n');
    a.close();
    b.close();
  });
  it('a watched mailbox deleted elsewhere is told \\NonExistent and no longer watched (§5.9); its own DELETE is not told', async () => {
    const { a, b } = await pair();
    await ok(b, 'C1', 'CREATE One');
    await ok(b, 'C2', 'CREATE Two');
    // Message events only: no MailboxName asked for.
    await ok(a, 'N', 'NOTIFY SET (PERSONAL (MessageNew MessageExpunge))');
    await ok(a, 'D', 'DELETE One');
    await quiet(a, b);
    await ok(b, 'D', 'DELETE Two');
    assert.equal(await within(lines(a, 1), 'LIST for the deleted mailbox'), '* LIST (\\NonExistent) "/" "Two"\r\n');
    await quiet(a, b);
    a.close();
    b.close();
  });
}
