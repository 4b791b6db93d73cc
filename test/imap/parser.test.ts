// Command forms: one complete command in, one typed Command out (RFC 3501 §6, RFC 9051 §6 and extensions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandReader } from '../../src/imap/parser/command-reader.js';
import type { ReaderEvent } from '../../src/imap/parser/command-reader.js';
import type { Command } from '../../src/imap/command.js';

/** Feeds `input`, ends the input, and returns every event (APPEND bodies are read to the end). */
async function events(input: string | Buffer): Promise<ReaderEvent[]> {
  const reader = new CommandReader();
  reader.push(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
  reader.end();
  const out: ReaderEvent[] = [];
  for (;;) {
    const ev = await reader.next();
    if (ev.kind === 'end') return out;
    out.push(ev);
    if (ev.kind === 'command' && ev.command.name === 'APPEND') {
      for await (const _ of ev.command.message.stream) {
        /* drain */
      }
    }
  }
}

async function one(line: string): Promise<Command> {
  const evs = (await events(line.endsWith('\n') ? line : `${line}\r\n`)).filter((e) => e.kind !== 'continue');
  assert.equal(evs.length, 1, JSON.stringify(evs));
  const ev = evs[0];
  assert.ok(ev && ev.kind === 'command', `expected a command, got ${JSON.stringify(ev)}`);
  return ev.command;
}

async function bad(line: string): Promise<ReaderEvent & { kind: 'error' }> {
  const evs = await events(line.endsWith('\n') ? line : `${line}\r\n`);
  const ev = evs.find((e) => e.kind === 'error');
  assert.ok(ev && ev.kind === 'error', `expected an error, got ${JSON.stringify(evs)}`);
  return ev;
}

const r = (start: number | '*', end: number | '*' = start) => ({ start, end });

test('commands without arguments, case-insensitive', async () => {
  for (const name of ['CAPABILITY', 'NOOP', 'LOGOUT', 'STARTTLS', 'NAMESPACE', 'CHECK', 'CLOSE', 'UNSELECT', 'IDLE', 'EXPUNGE']) {
    const c = await one(`t1 ${name.toLowerCase()}`);
    assert.equal(c.name, name);
    assert.equal(c.tag, 't1');
  }
  const e = await bad('t1 NOOP extra');
  assert.equal(e.tag, 't1');
});

test('LOGIN with atom, quoted (escapes) and literal arguments', async () => {
  assert.deepEqual(await one('a LOGIN bob secret'), { tag: 'a', name: 'LOGIN', user: 'bob', password: 'secret' });
  assert.deepEqual(await one('a LOGIN "b\\"o\\\\b" "p w"'), { tag: 'a', name: 'LOGIN', user: 'b"o\\b', password: 'p w' });
  assert.deepEqual(await one('a LOGIN {3}\r\nbob {6+}\r\nsecret\r\n'), { tag: 'a', name: 'LOGIN', user: 'bob', password: 'secret' });
  assert.equal((await bad('a LOGIN "bad\\x" y')).tag, 'a');
  assert.equal((await bad('a LOGIN "unterminated')).tag, 'a');
});

test('AUTHENTICATE with and without SASL-IR', async () => {
  assert.deepEqual(await one('a AUTHENTICATE plain'), { tag: 'a', name: 'AUTHENTICATE', mechanism: 'PLAIN' });
  assert.deepEqual(await one('a AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ='), {
    tag: 'a',
    name: 'AUTHENTICATE',
    mechanism: 'PLAIN',
    initialResponse: 'AGJvYgBzZWNyZXQ=',
  });
  assert.deepEqual(await one('a AUTHENTICATE PLAIN ='), { tag: 'a', name: 'AUTHENTICATE', mechanism: 'PLAIN', initialResponse: '=' });
  await bad('a AUTHENTICATE PLAIN not*base64');
});

test('ENABLE and ID', async () => {
  assert.deepEqual(await one('a ENABLE condstore QRESYNC'), { tag: 'a', name: 'ENABLE', capabilities: ['CONDSTORE', 'QRESYNC'] });
  assert.deepEqual(await one('a ID NIL'), { tag: 'a', name: 'ID', params: null });
  assert.deepEqual(await one('a ID ("name" "imapflow" "version" NIL)'), {
    tag: 'a',
    name: 'ID',
    params: [
      ['name', 'imapflow'],
      ['version', null],
    ],
  });
  await bad('a ENABLE');
});

test('SELECT / EXAMINE with CONDSTORE and QRESYNC; INBOX is case-insensitive', async () => {
  assert.deepEqual(await one('a select inbox'), { tag: 'a', name: 'SELECT', mailbox: 'INBOX', condstore: false });
  assert.deepEqual(await one('a EXAMINE "Inbox.sub"'), { tag: 'a', name: 'EXAMINE', mailbox: 'Inbox.sub', condstore: false });
  assert.deepEqual(await one('a SELECT Sent (CONDSTORE)'), { tag: 'a', name: 'SELECT', mailbox: 'Sent', condstore: true });
  assert.deepEqual(await one('a SELECT INBOX (QRESYNC (67890007 2005071519404500 41,43:211,214:541 (1:3 5:7)))'), {
    tag: 'a',
    name: 'SELECT',
    mailbox: 'INBOX',
    condstore: false,
    qresync: {
      uidValidity: 67890007,
      modSeq: 2005071519404500,
      knownUids: { kind: 'ranges', ranges: [r(41), r(43, 211), r(214, 541)] },
      seqMatch: { seqs: { kind: 'ranges', ranges: [r(1, 3)] }, uids: { kind: 'ranges', ranges: [r(5, 7)] } },
    },
  });
  assert.equal((await bad('a SELECT INBOX (FOO)')).tag, 'a');
  // Mod-sequences above 2^53 cannot be held exactly in a number: refused rather than rounded (types.ts ModSeq).
  assert.equal((await bad('a SELECT INBOX (QRESYNC (1 20050715194045000))')).tag, 'a');
});

test('CREATE (with USE), DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE; modified UTF-7 names stay raw', async () => {
  assert.deepEqual(await one('a CREATE "Entw&APw-rfe"'), { tag: 'a', name: 'CREATE', mailbox: 'Entw&APw-rfe', specialUse: [] });
  assert.deepEqual(await one('a CREATE Drafts (USE (\\Drafts))'), { tag: 'a', name: 'CREATE', mailbox: 'Drafts', specialUse: ['\\Drafts'] });
  assert.deepEqual(await one('a DELETE foo'), { tag: 'a', name: 'DELETE', mailbox: 'foo' });
  assert.deepEqual(await one('a RENAME foo "bar baz"'), { tag: 'a', name: 'RENAME', from: 'foo', to: 'bar baz' });
  assert.deepEqual(await one('a SUBSCRIBE {3+}\r\nfoo\r\n'), { tag: 'a', name: 'SUBSCRIBE', mailbox: 'foo' });
  assert.deepEqual(await one('a UNSUBSCRIBE foo]'), { tag: 'a', name: 'UNSUBSCRIBE', mailbox: 'foo]' });
});

test('LIST basic, extended (RFC 5258) and LSUB', async () => {
  assert.deepEqual(await one('a LIST "" *'), { tag: 'a', name: 'LIST', reference: '', patterns: ['*'], selectionOptions: [], returnOptions: [] });
  assert.deepEqual(await one('a LIST "" %/foo%'), {
    tag: 'a',
    name: 'LIST',
    reference: '',
    patterns: ['%/foo%'],
    selectionOptions: [],
    returnOptions: [],
  });
  assert.deepEqual(await one('a LIST (subscribed RECURSIVEMATCH) "" ("INBOX" "Drafts*") RETURN (CHILDREN STATUS (MESSAGES UNSEEN))'), {
    tag: 'a',
    name: 'LIST',
    reference: '',
    patterns: ['INBOX', 'Drafts*'],
    selectionOptions: ['SUBSCRIBED', 'RECURSIVEMATCH'],
    returnOptions: [{ name: 'CHILDREN' }, { name: 'STATUS', items: ['MESSAGES', 'UNSEEN'] }],
  });
  assert.deepEqual(await one('a LSUB "#news." comp.mail.*'), { tag: 'a', name: 'LSUB', reference: '#news.', pattern: 'comp.mail.*' });
});

test('STATUS', async () => {
  assert.deepEqual(await one('a STATUS INBOX (MESSAGES uidnext UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE)'), {
    tag: 'a',
    name: 'STATUS',
    mailbox: 'INBOX',
    items: ['MESSAGES', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'HIGHESTMODSEQ', 'SIZE'],
  });
  await bad('a STATUS INBOX (BOGUS)');
  await bad('a STATUS INBOX ()');
});

test('APPEND: flags, date-time, message literal streamed', async () => {
  const evs = await events('a APPEND saved-messages (\\Seen \\draft $Junk) "17-Jul-1996 02:44:25 -0700" {12}\r\nHello World!\r\n');
  assert.equal(evs[0]?.kind, 'command');
  const c = evs[0]?.kind === 'command' ? evs[0].command : undefined;
  assert.ok(c && c.name === 'APPEND');
  assert.equal(c.mailbox, 'saved-messages');
  assert.deepEqual(c.flags, ['\\Seen', '\\Draft', '$Junk']);
  assert.equal(c.internalDate?.toISOString(), '1996-07-17T09:44:25.000Z');
  assert.equal(c.message.size, 12);
  assert.equal(c.message.synchronizing, true);
  assert.equal(evs.length, 1);
  // Mailbox given as a literal, date with a space-padded day, no flags
  const evs2 = await events('b APPEND {5+}\r\nINBOX " 7-Jul-1996 02:44:25 +0000" ~{3+}\r\na\0b\r\n');
  const c2 = evs2[0]?.kind === 'command' ? evs2[0].command : undefined;
  assert.ok(c2 && c2.name === 'APPEND');
  assert.equal(c2.mailbox, 'INBOX');
  assert.deepEqual(c2.flags, []);
  assert.equal(c2.internalDate?.toISOString(), '1996-07-07T02:44:25.000Z');
  assert.equal(c2.message.binary, true);
  assert.equal((await bad('c APPEND INBOX')).tag, 'c');
  assert.equal((await bad('c APPEND INBOX (\\Seen) "31-Feb-2020 00:00:00 +0000" {1}')).tag, 'c');
});

test('UID EXPUNGE, COPY, MOVE and sequence sets with *, ranges and $', async () => {
  assert.deepEqual(await one('a UID EXPUNGE 1:*,3,5:7'), {
    tag: 'a',
    name: 'EXPUNGE',
    uid: true,
    set: { kind: 'ranges', ranges: [r(1, '*'), r(3), r(5, 7)] },
  });
  assert.deepEqual(await one('a COPY 2:4 "Saved"'), { tag: 'a', name: 'COPY', uid: false, set: { kind: 'ranges', ranges: [r(2, 4)] }, mailbox: 'Saved' });
  assert.deepEqual(await one('a uid move $ inbox'), { tag: 'a', name: 'MOVE', uid: true, set: { kind: 'saved' }, mailbox: 'INBOX' });
  assert.deepEqual(await one('a MOVE *:4 Trash'), { tag: 'a', name: 'MOVE', uid: false, set: { kind: 'ranges', ranges: [r('*', 4)] }, mailbox: 'Trash' });
  await bad('a COPY 0 Trash');
  await bad('a COPY 1, Trash');
  await bad('a COPY 4294967296 Trash');
  await bad('a UID EXPUNGE');
});

test('STORE forms with .SILENT and UNCHANGEDSINCE', async () => {
  assert.deepEqual(await one('a STORE 2:4 +FLAGS (\\Deleted)'), {
    tag: 'a',
    name: 'STORE',
    uid: false,
    set: { kind: 'ranges', ranges: [r(2, 4)] },
    mode: 'add',
    silent: false,
    flags: ['\\Deleted'],
  });
  assert.deepEqual(await one('a UID STORE 1 -flags.silent \\seen $Work'), {
    tag: 'a',
    name: 'STORE',
    uid: true,
    set: { kind: 'ranges', ranges: [r(1)] },
    mode: 'remove',
    silent: true,
    flags: ['\\Seen', '$Work'],
  });
  assert.deepEqual(await one('a STORE 1:* (UNCHANGEDSINCE 320162338) FLAGS ()'), {
    tag: 'a',
    name: 'STORE',
    uid: false,
    set: { kind: 'ranges', ranges: [r(1, '*')] },
    mode: 'replace',
    silent: false,
    flags: [],
    unchangedSince: 320162338,
  });
  await bad('a STORE 1 XFLAGS (\\Seen)');
});

test('FETCH items, macros, sections, partials, BINARY and CHANGEDSINCE', async () => {
  const all = await one('a FETCH 1:* ALL');
  assert.ok(all.name === 'FETCH');
  assert.deepEqual(all.items, [{ item: 'FLAGS' }, { item: 'INTERNALDATE' }, { item: 'RFC822.SIZE' }, { item: 'ENVELOPE' }]);
  const fast = await one('a FETCH 1 fast');
  assert.ok(fast.name === 'FETCH');
  assert.equal(fast.items.length, 3);
  const full = await one('a FETCH 1 FULL');
  assert.ok(full.name === 'FETCH');
  assert.deepEqual(full.items.at(-1), { item: 'BODY' });

  const c = await one(
    'a UID FETCH 1:*,3,5:7 (FLAGS UID INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY RFC822 RFC822.HEADER RFC822.TEXT MODSEQ ' +
      'BODY[] BODY.PEEK[1.2.HEADER.FIELDS (From "To" {2}\r\nCc)]<0.100> body[HEADER.FIELDS.NOT (Received)] BODY[TEXT] BODY[2.MIME] ' +
      'BODY[3.HEADER] BODY[1]<10.20> BINARY[1.1] BINARY.PEEK[]<0.5> BINARY.SIZE[2]) (CHANGEDSINCE 12345 VANISHED)',
  );
  assert.ok(c.name === 'FETCH');
  assert.equal(c.uid, true);
  assert.deepEqual(c.set, { kind: 'ranges', ranges: [r(1, '*'), r(3), r(5, 7)] });
  assert.equal(c.changedSince, 12345);
  assert.equal(c.vanished, true);
  assert.deepEqual(c.items, [
    { item: 'FLAGS' },
    { item: 'UID' },
    { item: 'INTERNALDATE' },
    { item: 'RFC822.SIZE' },
    { item: 'ENVELOPE' },
    { item: 'BODYSTRUCTURE' },
    { item: 'BODY' },
    { item: 'RFC822' },
    { item: 'RFC822.HEADER' },
    { item: 'RFC822.TEXT' },
    { item: 'MODSEQ' },
    { item: 'BODY[]', peek: false, section: { part: [] } },
    {
      item: 'BODY[]',
      peek: true,
      section: { part: [1, 2], text: { kind: 'HEADER.FIELDS', not: false, fields: ['From', 'To', 'Cc'] } },
      partial: { offset: 0, length: 100 },
    },
    { item: 'BODY[]', peek: false, section: { part: [], text: { kind: 'HEADER.FIELDS', not: true, fields: ['Received'] } } },
    { item: 'BODY[]', peek: false, section: { part: [], text: { kind: 'TEXT' } } },
    { item: 'BODY[]', peek: false, section: { part: [2], text: { kind: 'MIME' } } },
    { item: 'BODY[]', peek: false, section: { part: [3], text: { kind: 'HEADER' } } },
    { item: 'BODY[]', peek: false, section: { part: [1] }, partial: { offset: 10, length: 20 } },
    { item: 'BINARY[]', peek: false, part: [1, 1] },
    { item: 'BINARY[]', peek: true, part: [], partial: { offset: 0, length: 5 } },
    { item: 'BINARY.SIZE', part: [2] },
  ]);
  const single = await one('a FETCH 2 body.peek[]');
  assert.ok(single.name === 'FETCH');
  assert.deepEqual(single.items, [{ item: 'BODY[]', peek: true, section: { part: [] } }]);
  for (const wrong of [
    'a FETCH 1 (FLAGS ALL)',
    'a FETCH 1 BODY[MIME]',
    'a FETCH 1 BODY[0]',
    'a FETCH 1 BODY[1]<5>',
    'a FETCH 1 BODY[HEADER.FIELDS ()]',
    'a FETCH 1 (FLAGS',
    'a FETCH 1 FLAGS (VANISHED)',
    'a UID FETCH 1 FLAGS (VANISHED)',
  ]) {
    assert.equal((await bad(wrong)).tag, 'a', wrong);
  }
});

test('SEARCH: every key, nesting, CHARSET and RETURN', async () => {
  const c = await one(
    'a UID SEARCH RETURN (MIN MAX COUNT ALL SAVE) CHARSET utf-8 ALL ANSWERED BCC b BEFORE 1-Feb-1994 BODY "x y" CC c DELETED DRAFT FLAGGED ' +
      'FROM f HEADER X-Spam yes KEYWORD $Junk LARGER 100 NEW NOT SEEN OLD ON "25-Dec-2020" OR TO t (SUBJECT s TEXT {3}\r\nabc) RECENT SEEN ' +
      'SENTBEFORE 1-Jan-2000 SENTON 2-Jan-2000 SENTSINCE 3-Jan-2000 SINCE 4-Jan-2000 SMALLER 5 UID 1:4 UNANSWERED UNDELETED UNDRAFT ' +
      'UNFLAGGED UNKEYWORD foo UNSEEN 1,3:* $ MODSEQ 620162338 MODSEQ "/flags/\\\\draft" all 7 YOUNGER 60 OLDER 3600',
  );
  assert.ok(c.name === 'SEARCH');
  assert.equal(c.uid, true);
  assert.equal(c.charset, 'UTF-8');
  assert.deepEqual(c.returnOptions, ['MIN', 'MAX', 'COUNT', 'ALL', 'SAVE']);
  assert.ok(c.key.kind === 'and');
  const f = (flag: string, present: boolean) => ({ kind: 'flag', flag, present });
  assert.deepEqual(c.key.keys, [
    { kind: 'all' },
    f('\\Answered', true),
    { kind: 'header', field: 'Bcc', value: 'b' },
    { kind: 'date', field: 'internal', op: 'before', date: { year: 1994, month: 2, day: 1 } },
    { kind: 'body', value: 'x y' },
    { kind: 'header', field: 'Cc', value: 'c' },
    f('\\Deleted', true),
    f('\\Draft', true),
    f('\\Flagged', true),
    { kind: 'header', field: 'From', value: 'f' },
    { kind: 'header', field: 'X-Spam', value: 'yes' },
    f('$Junk', true),
    { kind: 'size', op: 'larger', size: 100 },
    { kind: 'and', keys: [f('\\Recent', true), f('\\Seen', false)] },
    { kind: 'not', key: f('\\Seen', true) },
    f('\\Recent', false),
    { kind: 'date', field: 'internal', op: 'on', date: { year: 2020, month: 12, day: 25 } },
    {
      kind: 'or',
      left: { kind: 'header', field: 'To', value: 't' },
      right: { kind: 'and', keys: [{ kind: 'header', field: 'Subject', value: 's' }, { kind: 'text', value: 'abc' }] },
    },
    f('\\Recent', true),
    f('\\Seen', true),
    { kind: 'date', field: 'sent', op: 'before', date: { year: 2000, month: 1, day: 1 } },
    { kind: 'date', field: 'sent', op: 'on', date: { year: 2000, month: 1, day: 2 } },
    { kind: 'date', field: 'sent', op: 'since', date: { year: 2000, month: 1, day: 3 } },
    { kind: 'date', field: 'internal', op: 'since', date: { year: 2000, month: 1, day: 4 } },
    { kind: 'size', op: 'smaller', size: 5 },
    { kind: 'uid', set: { kind: 'ranges', ranges: [r(1, 4)] } },
    f('\\Answered', false),
    f('\\Deleted', false),
    f('\\Draft', false),
    f('\\Flagged', false),
    f('foo', false),
    f('\\Seen', false),
    { kind: 'seq', set: { kind: 'ranges', ranges: [r(1), r(3, '*')] } },
    { kind: 'seq', set: { kind: 'saved' } },
    { kind: 'modseq', modSeq: 620162338 },
    { kind: 'modseq', modSeq: 7, entry: { name: '/flags/\\draft', type: 'all' } },
    { kind: 'younger', seconds: 60 },
    { kind: 'older', seconds: 3600 },
  ]);
  const plain = await one('a SEARCH UNSEEN');
  assert.deepEqual(plain, { tag: 'a', name: 'SEARCH', uid: false, key: f('\\Seen', false) });
  const nested = await one('a SEARCH NOT (OR (DELETED) NOT (FLAGGED SEEN) (((ALL))))');
  assert.ok(nested.name === 'SEARCH');
  assert.deepEqual(nested.key, {
    kind: 'not',
    key: {
      kind: 'and',
      keys: [
        { kind: 'or', left: f('\\Deleted', true), right: { kind: 'not', key: { kind: 'and', keys: [f('\\Flagged', true), f('\\Seen', true)] } } },
        { kind: 'all' },
      ],
    },
  });
  const empty = await one('a SEARCH RETURN () 1:5');
  assert.ok(empty.name === 'SEARCH');
  assert.deepEqual(empty.returnOptions, []);
  for (const wrong of [
    'a SEARCH',
    'a SEARCH FOO',
    'a SEARCH (SEEN',
    'a SEARCH SEEN)',
    'a SEARCH ()',
    'a SEARCH SINCE 32-Jan-2020',
    'a SEARCH SINCE 1-Foo-2020',
    'a SEARCH OR SEEN',
    'a SEARCH RETURN (BOGUS) ALL',
    `a SEARCH ${'NOT '.repeat(100)}SEEN`,
    `a SEARCH ${'('.repeat(100)}SEEN${')'.repeat(100)}`,
  ]) {
    assert.equal((await bad(wrong)).tag, 'a', wrong);
  }
});

test('errors: missing tag, unknown command, unbalanced parens, bad tag characters', async () => {
  const unknown = await one('a17 XYZZY foo (bar');
  assert.deepEqual(unknown, { tag: 'a17', name: 'UNKNOWN', verb: 'XYZZY' });
  assert.deepEqual(await one('a18 UID XYZZY 1'), { tag: 'a18', name: 'UNKNOWN', verb: 'UID XYZZY' });
  const missing = await bad('a19');
  assert.equal(missing.tag, 'a19');
  const noTag = await bad('(foo bar');
  assert.equal(noTag.tag, null);
  assert.equal(noTag.status, 'BAD');
  assert.equal((await bad('+abc NOOP')).tag, null);
  assert.equal((await bad('a20 STATUS INBOX (MESSAGES')).tag, 'a20');
  assert.equal((await bad('a21 LOGIN "a" "b" )')).tag, 'a21');
});

test('sequence sets evaluate against the mailbox: * is the maximum, ranges are unordered, $ is the saved result', async () => {
  const { expandSequenceSet, sequenceSetHas } = await import('../../src/imap/types.js');
  const c = await one('a FETCH 5:*,2,9:7 FLAGS');
  assert.ok(c.name === 'FETCH');
  assert.deepEqual(expandSequenceSet(c.set, 10), [2, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(expandSequenceSet(c.set, 3), [2, 3]); // 5:* with 3 messages is 3:5 (RFC 3501 §6.4.8)
  assert.equal(sequenceSetHas(c.set, 3, 3), true);
  assert.equal(sequenceSetHas(c.set, 1, 10), false);
  assert.equal(sequenceSetHas(c.set, 4000000000, 4000000000), true);
  const saved = { kind: 'saved' } as const;
  assert.deepEqual(expandSequenceSet(saved, 5, [4, 2, 9, 2]), [2, 4]);
  assert.equal(sequenceSetHas(saved, 9, 5, new Set([9])), true);
  assert.equal(sequenceSetHas(saved, 9, 5), false);
  // a huge range is clamped to the mailbox, never materialised
  const huge = await one('a FETCH 1:4294967295 FLAGS');
  assert.ok(huge.name === 'FETCH');
  assert.deepEqual(expandSequenceSet(huge.set, 3), [1, 2, 3]);
});
