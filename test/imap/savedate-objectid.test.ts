// Pure pieces of WITHIN (RFC 5032), SAVEDATE (RFC 8514), OBJECTID (RFC 8474) and PREVIEW (RFC 8970): the parser's
// new FETCH items and SEARCH keys, the evaluator's rules, thread roots, and the view's save dates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseCommand } from '../../src/imap/parser/parse-command.js';
import type { Command, SearchKey } from '../../src/imap/command.js';
import { matches, needsIndex } from '../../src/imap/session/search-evaluator.js';
import type { SearchSubject } from '../../src/imap/session/search-evaluator.js';
import { MailboxView } from '../../src/imap/session/mailbox-view.js';
import { fetchResponse, piecesToBuffer } from '../../src/imap/encoder.js';
import { threadRoot } from '../../src/mime/index.js';
import { indexMessage } from '../../src/mime/index.js';
import { threadObjectId } from '../../src/imap/wire/object-id.js';
import { appendHot, emptyHotList } from '../../src/mailstore/mailboxes.js';
import type { HotList, MailboxStatus } from '../../src/mailstore/api.js';

function parse(line: string): Command {
  const result = parseCommand([{ kind: 'text', bytes: Buffer.from(line, 'latin1') }]);
  assert.ok(result.ok, `expected ${line} to parse: ${result.ok ? '' : result.text}`);
  return result.command;
}

function searchKey(line: string): SearchKey {
  const c = parse(`t SEARCH ${line}`);
  assert.ok(c.name === 'SEARCH');
  return c.key;
}

test('FETCH SAVEDATE, EMAILID, THREADID, PREVIEW and PREVIEW (LAZY) parse; a list after PREVIEW that is not LAZY is the modifiers', () => {
  const c = parse('t FETCH 1:* (SAVEDATE EMAILID THREADID PREVIEW (LAZY) PREVIEW FLAGS)');
  assert.ok(c.name === 'FETCH');
  assert.deepEqual(c.items, [
    { item: 'SAVEDATE' },
    { item: 'EMAILID' },
    { item: 'THREADID' },
    { item: 'PREVIEW', lazy: true },
    { item: 'PREVIEW', lazy: false },
    { item: 'FLAGS' },
  ]);
  const single = parse('t FETCH 1 preview (lazy)');
  assert.ok(single.name === 'FETCH');
  assert.deepEqual(single.items, [{ item: 'PREVIEW', lazy: true }]);
  const modifiers = parse('t FETCH 1 PREVIEW (CHANGEDSINCE 5)');
  assert.ok(modifiers.name === 'FETCH');
  assert.deepEqual(modifiers.items, [{ item: 'PREVIEW', lazy: false }]);
  assert.equal(modifiers.changedSince, 5);
  assert.equal(parseCommand([{ kind: 'text', bytes: Buffer.from('t FETCH 1 (PREVIEW (FAST))') }]).ok, false);
});

test('SEARCH SAVEDBEFORE/SAVEDON/SAVEDSINCE/SAVEDATESUPPORTED (RFC 8514 §5), EMAILID/THREADID (RFC 8474 §7), OLDER/YOUNGER', () => {
  assert.deepEqual(searchKey('SAVEDBEFORE 1-Feb-2024'), { kind: 'date', field: 'saved', op: 'before', date: { day: 1, month: 2, year: 2024 } });
  assert.deepEqual(searchKey('SAVEDON 1-Feb-2024').kind, 'date');
  assert.deepEqual(searchKey('savedsince "1-Feb-2024"'), { kind: 'date', field: 'saved', op: 'since', date: { day: 1, month: 2, year: 2024 } });
  assert.deepEqual(searchKey('SAVEDATESUPPORTED'), { kind: 'savedatesupported' });
  assert.deepEqual(searchKey('EMAILID M01Ab_-9'), { kind: 'emailid', id: 'M01Ab_-9' });
  assert.deepEqual(searchKey('THREADID Tabc'), { kind: 'threadid', id: 'Tabc' });
  assert.deepEqual(searchKey('OLDER 3600'), { kind: 'older', seconds: 3600 });
  assert.equal(parseCommand([{ kind: 'text', bytes: Buffer.from('t SEARCH EMAILID "M1"') }]).ok, false);
  assert.equal(parseCommand([{ kind: 'text', bytes: Buffer.from('t SEARCH YOUNGER 0') }]).ok, false); // nz-number
});

const NOW = Date.UTC(2024, 1, 10, 12, 0, 0, 500); // 10-Feb-2024 12:00:00.500
const scope = { count: 3, maxUid: 3, now: NOW };

function subject(o: Partial<SearchSubject>): SearchSubject {
  return { seq: 1, uid: 1, bits: 0, keywords: [], recent: false, size: 10, date: NOW, modseq: 1, index: undefined, ...o };
}

test('OLDER / YOUNGER compare the internal date to the second, the target second matching both (RFC 5032 §2)', () => {
  const target = NOW - 60_000; // 11:59:00.500
  const atTargetSecond = subject({ date: target - 400 }); // 11:59:00.100, same second as the target
  assert.equal(matches({ kind: 'older', seconds: 60 }, atTargetSecond, scope), true);
  assert.equal(matches({ kind: 'younger', seconds: 60 }, atTargetSecond, scope), true);
  const before = subject({ date: target - 1000 });
  assert.equal(matches({ kind: 'older', seconds: 60 }, before, scope), true);
  assert.equal(matches({ kind: 'younger', seconds: 60 }, before, scope), false);
  const after = subject({ date: target + 1000 });
  assert.equal(matches({ kind: 'older', seconds: 60 }, after, scope), false);
  assert.equal(matches({ kind: 'younger', seconds: 60 }, after, scope), true);
});

test('SAVED* keys compare the save date by day; an unknown save date falls back to the internal date (RFC 8514 §4.3)', () => {
  const feb1 = Date.UTC(2024, 1, 1, 23, 59);
  const feb9 = Date.UTC(2024, 1, 9, 0, 1);
  const key = (op: 'before' | 'on' | 'since'): SearchKey => ({ kind: 'date', field: 'saved', op, date: { day: 9, month: 2, year: 2024 } });
  const known = subject({ date: feb1, saveDate: feb9 });
  assert.deepEqual([matches(key('before'), known, scope), matches(key('on'), known, scope), matches(key('since'), known, scope)], [false, true, true]);
  const legacy = subject({ date: feb1, saveDate: 0 });
  assert.deepEqual([matches(key('before'), legacy, scope), matches(key('on'), legacy, scope), matches(key('since'), legacy, scope)], [true, false, false]);
  assert.equal(matches({ kind: 'savedatesupported' }, legacy, scope), true);
  assert.equal(needsIndex(key('on')), false);
});

test('EMAILID matches the prefixed emailId exactly, case-sensitively; THREADID needs the cold item (RFC 8474 §6)', () => {
  const m = subject({ emailId: '01ABC' });
  assert.equal(matches({ kind: 'emailid', id: 'M01ABC' }, m, scope), true);
  assert.equal(matches({ kind: 'emailid', id: 'm01abc' }, m, scope), false);
  assert.equal(matches({ kind: 'emailid', id: '01ABC' }, m, scope), false);
  assert.equal(needsIndex({ kind: 'threadid', id: 'T1' }), true);
  assert.equal(needsIndex({ kind: 'emailid', id: 'M1' }), false);
  const index = indexMessage(Buffer.from('Message-ID: <b@x>\r\nReferences: <a@x> <z@x>\r\n\r\nhi\r\n'));
  const id = `T${createHash('sha256').update('<a@x>').digest('hex').slice(0, 24)}`;
  assert.equal(matches({ kind: 'threadid', id }, subject({ emailId: '01ABC', index }), scope), true);
  assert.equal(matches({ kind: 'threadid', id }, subject({ emailId: '01ABC' }), scope), false); // no cold item: no match
});

test('the thread root: first References msg-id, else In-Reply-To, else Message-ID; none gives the message its own thread', () => {
  assert.equal(threadRoot({ references: ' <a@x>\t<b@x> ', inReplyTo: '<b@x>', messageId: '<c@x>' }), '<a@x>');
  assert.equal(threadRoot({ references: null, inReplyTo: 'Your message <b@x>', messageId: '<c@x>' }), '<b@x>');
  assert.equal(threadRoot({ references: 'garbage', inReplyTo: null, messageId: '<c@x>' }), '<c@x>');
  assert.equal(threadRoot({ references: null, inReplyTo: null, messageId: null }), null);
  const lonely = indexMessage(Buffer.from('Subject: no ids\r\n\r\nhi\r\n'));
  assert.equal(threadObjectId(lonely, '01XYZ'), 'S01XYZ');
});

const status: MailboxStatus = {
  mailboxId: 'mb',
  path: 'INBOX',
  uidValidity: 1,
  uidNext: 3,
  highestModseq: 2,
  messages: 2,
  unseen: 2,
  deleted: 0,
  bytes: 0,
  keywords: [],
  specialUse: null,
};

test('hot items without a save date (stored before save dates were kept) read as 0, and the view answers 0 for them', () => {
  const list = emptyHotList();
  appendHot(list, { pk: 'M#mb', sk: 'U#0000000001', e: 'e1', f: 0, k: [], m: 1, z: 5, d: 1000 });
  appendHot(list, { pk: 'M#mb', sk: 'U#0000000002', e: 'e2', f: 0, k: [], m: 2, z: 5, d: 1000, s: 5000 });
  assert.deepEqual(list.saveDates, [0, 5000]);
  const view = new MailboxView({ status, messages: list, blobPrefix: 'p/' }, false);
  assert.deepEqual([view.saveDateAt(0), view.saveDateAt(1)], [0, 5000]);
  // A hot list from a store that sends no save dates at all.
  const bare: HotList = { uids: [1], flags: [0], keywords: [[]], modseqs: [1], sizes: [5], dates: [1000], emailIds: ['e1'] };
  assert.equal(new MailboxView({ status, messages: bare, blobPrefix: 'p/' }, false).saveDateAt(0), 0);
});

test('FETCH SAVEDATE is a date-time or NIL (RFC 8514 §5), PREVIEW an nstring with 8-bit text as a literal', () => {
  const wire = piecesToBuffer(
    fetchResponse(1, [
      { name: 'SAVEDATE', date: new Date(Date.UTC(2015, 0, 1, 17, 50, 53)) },
      { name: 'SAVEDATE', date: null },
      { name: 'PREVIEW', text: 'Hello "you"' },
      { name: 'PREVIEW', text: 'Café' },
    ]),
  ).toString('utf8');
  assert.equal(wire, '* 1 FETCH (SAVEDATE "01-Jan-2015 17:50:53 +0000" SAVEDATE NIL PREVIEW "Hello \\"you\\"" PREVIEW {5}\r\nCafé)\r\n');
});
