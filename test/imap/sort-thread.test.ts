// SORT and THREAD (RFC 5256) and SORT=DISPLAY (RFC 5957) as pure functions: base subject extraction (§2.1), the
// collation, sort keys and order (§3), both threading algorithms (§3), their wire form (§4) and the parser (§5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseSubject, collationKey, compareKeys } from '../../src/imap/session/base-subject.js';
import { addrMailbox, displayAddress, sortRecords } from '../../src/imap/session/sort-keys.js';
import type { SortRecord } from '../../src/imap/session/sort-keys.js';
import { messageIds, orderedSubject, referencesThreads } from '../../src/imap/session/threading.js';
import type { ThreadMessage } from '../../src/imap/session/threading.js';
import { sortData, threadData } from '../../src/imap/encoder.js';
import type { ThreadNode } from '../../src/imap/encoder.js';
import { parseCommand } from '../../src/imap/parser/parse-command.js';
import type { Command, SortCriterion } from '../../src/imap/command.js';
import type { Address } from '../../src/mime/types.js';

// ---------------------------------------------------------------- base subject (§2.1)

test('base subject: reply and forward leaders, blobs, trailers and [fwd: ] wrappers are removed', () => {
  const cases: Array<[string | null, string, boolean]> = [
    [null, '', false],
    ['', '', false],
    ['hello', 'hello', false],
    ['Re: hello', 'hello', true],
    ['RE:hello', 'hello', true],
    ['Fw: hello', 'hello', true],
    ['FWD: hello', 'hello', true],
    ['Re: Re: Fwd: hello', 'hello', true],
    ['Re[2]: hello', 'hello', true], // subj-refwd may carry a blob before the colon
    ['Re [list]: hello', 'hello', true],
    ['[list] Re: hello', 'hello', true], // *subj-blob subj-refwd is one subj-leader
    ['[list] hello', 'hello', false], // step 4: a blob goes when something is left
    ['[a] [b] hello', 'hello', false],
    ['[PATCH]', '[PATCH]', false], // ... and stays when it is all there is
    ['[a] [b]', '[b]', false],
    ['hello (fwd)', 'hello', true],
    ['hello (FWD) (fwd)  ', 'hello', true],
    ['[Fwd: hello]', 'hello', true],
    ['[fwd: Re: [list] hello (fwd)]', 'hello', true],
    ['[Fwd: [Fwd: hello] ]', 'hello', true], // step 6 repeats from step 2
    ['Re: (fwd)', '', true],
    ['  Re:\thello \t  world  ', 'hello world', true], // step 1: tabs to spaces, runs collapsed
    ['Rex: hello', 'Rex: hello', false],
    ['fwd', 'fwd', false],
    ['hello re: world', 'hello re: world', false],
    ['Re: [fwd] x', 'x', true],
    ['Résumé: Re: café', 'Résumé: Re: café', false],
  ];
  for (const [subject, base, isReply] of cases) {
    assert.deepEqual(baseSubject(subject), { base, isReply }, JSON.stringify(subject));
  }
});

test('collation: i;unicode-casemap approximation folds case and compatibility forms, compares code points', () => {
  assert.equal(collationKey('Hello'), collationKey('hELLO'));
  assert.equal(collationKey('caf\u00e9'), collationKey('CAFE\u0301'));
  assert.equal(collationKey('\ufb01'), collationKey('fi')); // NFKD: the ligature is two letters
  assert.ok(compareKeys(collationKey(''), collationKey('a')) < 0, 'the empty string collates first');
  assert.ok(compareKeys('a', 'b') < 0);
  assert.ok(compareKeys('\uffff', '\u{1f600}') < 0, 'U+FFFF before U+1F600 (UTF-16 units would say otherwise)');
  assert.equal(compareKeys('abc', 'abc'), 0);
  assert.ok(compareKeys('ab', 'abc') < 0);
});

// ---------------------------------------------------------------- sort keys and order (§3, RFC 5957 §3)

const addr = (name: string | null, mailbox: string | null, host: string | null): Address => ({ name, adl: null, mailbox, host });

test('sort keys: addr-mailbox of the first address; display name (decoded) else addr-spec', () => {
  assert.equal(addrMailbox([addr('Zed', 'alice', 'example.com'), addr(null, 'bob', 'x')]), 'alice');
  assert.equal(addrMailbox(null), '');
  // A group start (host NIL) is the first ENVELOPE address: its addr-mailbox is the group name (so says Dovecot too).
  const group = [addr(null, 'friends', null), addr('Carol', 'carol', 'x'), addr(null, null, null)];
  assert.equal(addrMailbox(group), 'friends');
  assert.equal(displayAddress(group), 'friends');
  assert.equal(displayAddress([addr('=?UTF-8?Q?=C3=89mile?=', 'e', 'x')]), 'Émile');
  assert.equal(displayAddress([addr(null, 'bob', 'example.com')]), 'bob@example.com');
  assert.equal(displayAddress([addr('', 'bob', 'example.com')]), 'bob@example.com');
  assert.equal(displayAddress(undefined), '');
});

test('sort order: criteria in priority, REVERSE per criterion, ties by sequence number', () => {
  const rec = (seq: number, keys: Array<number | string>): SortRecord => ({ seq, uid: seq * 10, modseq: 1, keys });
  const criteria: SortCriterion[] = [
    { key: 'SUBJECT', reverse: false },
    { key: 'DATE', reverse: true },
  ];
  const records = [rec(1, ['B', 5]), rec(2, ['A', 1]), rec(3, ['', 9]), rec(4, ['B', 7]), rec(5, ['A', 1])];
  assert.deepEqual(
    sortRecords(records, criteria).map((r) => r.seq),
    [3, 2, 5, 4, 1],
  );
  // REVERSE SUBJECT does not reverse the implicit sequence order (RFC 5256 §3 note).
  const reverse: SortCriterion[] = [{ key: 'SUBJECT', reverse: true }];
  assert.deepEqual(
    sortRecords([rec(1, ['A']), rec(2, ['B']), rec(3, ['A'])], reverse).map((r) => r.seq),
    [2, 1, 3],
  );
});

// ---------------------------------------------------------------- threading (§3)

let nextSeq = 1;
function msg(m: Partial<ThreadMessage> & { sent: number }): ThreadMessage {
  const seq = m.seq ?? nextSeq++;
  return { seq, number: seq, subject: null, messageId: null, references: null, inReplyTo: null, ...m };
}

function wire(threads: readonly ThreadNode[]): string {
  return threadData(threads).replace(/\r\n$/, '');
}

test('message ids: normalised quoting, comments skipped, invalid ones left out', () => {
  assert.deepEqual(messageIds('<"01KF8JCEOCBS0045PS"@xxx.yyy.com>'), ['01KF8JCEOCBS0045PS@xxx.yyy.com']);
  assert.deepEqual(messageIds(' <a@x> (comment <c@x>)\r\n <b@y>'), ['a@x', 'b@y']);
  assert.deepEqual(messageIds('<noat> <@x> <a@> <a@x'), []);
  assert.deepEqual(messageIds('<a@x> (Alice\'s message of Tue)'), ['a@x']);
  assert.deepEqual(messageIds(null), []);
});

test('ORDEREDSUBJECT: grouped by base subject, children flat under the first, threads by first sent date', () => {
  nextSeq = 1;
  const messages = [
    msg({ subject: 'b', sent: 3 }),
    msg({ subject: 'Re: a', sent: 2 }),
    msg({ subject: 'a', sent: 1 }),
    msg({ subject: 'B', sent: 5 }),
    msg({ subject: 'c', sent: 4 }),
    msg({ subject: 'Fwd: a', sent: 6 }),
    msg({ subject: 'a (fwd)', sent: 2 }), // same date as 2: sequence order decides
  ];
  assert.equal(wire(orderedSubject(messages)), '* THREAD (3 (2)(7)(6))(1 4)(5)');
  assert.equal(wire(orderedSubject([])), '* THREAD');
  // UID THREAD reports the numbers it is given.
  assert.equal(wire(orderedSubject([{ ...msg({ subject: 'x', sent: 1 }), number: 42 }])), '* THREAD (42)');
});

test('REFERENCES: ancestry, dummies, duplicates, subject merging and date order', () => {
  nextSeq = 1;
  const messages = [
    msg({ messageId: '<1@x>', subject: 'hello', sent: 10 }),
    msg({ messageId: '<2@x>', references: '<1@x>', subject: 'Re: hello', sent: 20 }),
    msg({ messageId: '<3@x>', references: '<1@x> <2@x>', subject: 'Re: hello', sent: 30 }),
    // No References: the first id of In-Reply-To is the parent.
    msg({ messageId: '<4@x>', inReplyTo: '<1@x> <other@x>', subject: 'Re: hello', sent: 25 }),
    // Two replies to a message not in the mailbox: a dummy root holds them.
    msg({ messageId: '<5@x>', references: '<missing@x>', subject: 'Re: other', sent: 5 }),
    msg({ messageId: '<6@x>', references: '<missing@x>', subject: 'Re: other', sent: 7 }),
    // No Message-ID, no references: joins the "hello" thread through its subject (it is a reply, 1 is not).
    msg({ subject: 'Re: hello', sent: 40 }),
    // A duplicate Message-ID gets a unique one: its own thread.
    msg({ messageId: '<1@x>', subject: 'unrelated', sent: 1 }),
  ];
  assert.equal(wire(referencesThreads(messages)), '* THREAD (8)((5)(6))(1 (2 3)(4)(7))');
});

test('REFERENCES: subject step cases (RFC 5256 §3 step 5)', () => {
  nextSeq = 1;
  // Neither is a reply: a new dummy holds both.
  assert.equal(wire(referencesThreads([msg({ subject: 'topic', sent: 1 }), msg({ subject: 'topic', sent: 2 })])), '* THREAD ((1)(2))');
  // The table keeps the non-reply; the reply becomes its child, whichever came first.
  nextSeq = 1;
  assert.equal(wire(referencesThreads([msg({ subject: 'Re: y', sent: 1 }), msg({ subject: 'y', sent: 2 })])), '* THREAD (2 1)');
  // Both replies: a dummy.
  nextSeq = 1;
  assert.equal(wire(referencesThreads([msg({ subject: 'Re: y', sent: 1 }), msg({ subject: 'Re: Y', sent: 2 })])), '* THREAD ((1)(2))');
  // Two dummies with one subject: their children become siblings.
  nextSeq = 1;
  const twoDummies = [
    msg({ references: '<m1@x>', subject: 'x', sent: 1 }),
    msg({ references: '<m1@x>', subject: 'x', sent: 3 }),
    msg({ references: '<m2@x>', subject: 'Re: x', sent: 2 }),
    msg({ references: '<m2@x>', subject: 'Re: x', sent: 4 }),
  ];
  assert.equal(wire(referencesThreads(twoDummies)), '* THREAD ((1)(3)(2)(4))');
  // A dummy and a message: the message joins the dummy's children.
  nextSeq = 1;
  const dummyAndMessage = [
    msg({ references: '<m1@x>', subject: 'Re: z', sent: 1 }),
    msg({ references: '<m1@x>', subject: 'Re: z', sent: 3 }),
    msg({ subject: 'z', sent: 2 }),
  ];
  assert.equal(wire(referencesThreads(dummyAndMessage)), '* THREAD ((1)(3)(2))');
  // Empty subjects are never merged.
  nextSeq = 1;
  assert.equal(wire(referencesThreads([msg({ sent: 1 }), msg({ subject: 'Re:', sent: 2 })])), '* THREAD (1)(2)');
});

test('REFERENCES: pruning promotes a lone child and the children of an inner dummy', () => {
  nextSeq = 1;
  assert.equal(wire(referencesThreads([msg({ references: '<gone@x>', subject: 'a', sent: 1 })])), '* THREAD (1)');
  nextSeq = 1;
  const inner = [
    msg({ messageId: '<a@x>', subject: 'a', sent: 1 }),
    msg({ references: '<a@x> <gone@x>', subject: 'Re: a', sent: 2 }),
    msg({ references: '<a@x> <gone@x>', subject: 'Re: a', sent: 3 }),
  ];
  assert.equal(wire(referencesThreads(inner)), '* THREAD (1 (2)(3))');
});

test('REFERENCES: no loops, existing links kept, last reference wins', () => {
  nextSeq = 1;
  // Each names the other as parent: the second link would close a loop and is not made.
  const loop = [
    msg({ messageId: '<a@x>', references: '<b@x>', subject: 'p', sent: 1 }),
    msg({ messageId: '<b@x>', references: '<a@x>', subject: 'q', sent: 2 }),
  ];
  assert.equal(wire(referencesThreads(loop)), '* THREAD (2 1)');
  // A message referencing itself does not become its own parent.
  nextSeq = 1;
  assert.equal(wire(referencesThreads([msg({ messageId: '<s@x>', references: '<s@x>', subject: 's', sent: 1 })])), '* THREAD (1)');
  // 3's References (truncated) says b's parent is a, but b's own References already put it under r: kept (1.A).
  // 3's parent is its last reference b (1.B).
  nextSeq = 1;
  const kept = [
    msg({ messageId: '<r@x>', subject: 'r', sent: 1 }),
    msg({ messageId: '<b@x>', references: '<r@x>', subject: 'Re: r', sent: 2 }),
    msg({ messageId: '<a@x>', subject: 'other', sent: 3 }),
    msg({ messageId: '<c@x>', references: '<a@x> <b@x>', subject: 'Re: r', sent: 4 }),
  ];
  assert.equal(wire(referencesThreads(kept)), '* THREAD (1 2 4)(3)');
  // Children sort by sent date at every level; a parent may come after its children in the mailbox.
  nextSeq = 1;
  const late = [
    msg({ messageId: '<c2@x>', references: '<p@x>', subject: 'Re: p', sent: 30 }),
    msg({ messageId: '<c1@x>', references: '<p@x>', subject: 'Re: p', sent: 20 }),
    msg({ messageId: '<p@x>', subject: 'p', sent: 10 }),
  ];
  assert.equal(wire(referencesThreads(late)), '* THREAD (3 (2)(1))');
});

test('REFERENCES: a reply chain thousands deep is threaded and encoded without exhausting the stack', () => {
  const depth = 8_000; // the recursive first version overflowed at 5 000
  const chain = Array.from({ length: depth }, (_, i) =>
    msg({ seq: i + 1, messageId: `<c${i}@x>`, references: i > 0 ? `<c${i - 1}@x>` : null, subject: 'Re: deep', sent: i }),
  );
  const answer = wire(referencesThreads(chain));
  assert.equal(answer, `* THREAD (${Array.from({ length: depth }, (_, i) => i + 1).join(' ')})`);
});

// ---------------------------------------------------------------- wire form (§4)

test('encoder: SORT and THREAD responses (RFC 5256 §4 examples)', () => {
  assert.equal(sortData([2, 3, 6]), '* SORT 2 3 6\r\n');
  assert.equal(sortData([]), '* SORT\r\n');
  const leaf = (n: number): ThreadNode => ({ number: n, children: [] });
  const chain = (...ns: number[]): ThreadNode => {
    const [first, ...rest] = ns;
    return { number: first ?? null, children: rest.length > 0 ? [chain(...rest)] : [] };
  };
  const example: ThreadNode[] = [leaf(2), { number: 3, children: [{ number: 6, children: [chain(4, 23), chain(44, 7, 96)] }] }];
  assert.equal(threadData(example), '* THREAD (2)(3 6 (4 23)(44 7 96))\r\n');
  assert.equal(threadData([{ number: null, children: [leaf(3), leaf(5)] }]), '* THREAD ((3)(5))\r\n');
  assert.equal(threadData([]), '* THREAD\r\n');
});

// ---------------------------------------------------------------- parser (§5)

function parse(line: string): Command | string {
  const r = parseCommand([{ kind: 'text', bytes: Buffer.from(line, 'utf8') }]);
  return r.ok ? r.command : r.text;
}

test('parser: SORT and THREAD with their UID forms', () => {
  assert.deepEqual(parse('a SORT (REVERSE DATE subject DISPLAYFROM) utf-8 SINCE 1-Feb-1994 FROM "x"'), {
    tag: 'a',
    name: 'SORT',
    uid: false,
    criteria: [
      { key: 'DATE', reverse: true },
      { key: 'SUBJECT', reverse: false },
      { key: 'DISPLAYFROM', reverse: false },
    ],
    charset: 'UTF-8',
    key: {
      kind: 'and',
      keys: [
        { kind: 'date', field: 'internal', op: 'since', date: { year: 1994, month: 2, day: 1 } },
        { kind: 'header', field: 'From', value: 'x' },
      ],
    },
  });
  assert.deepEqual(parse('b UID SORT (ARRIVAL) "US-ASCII" ALL'), {
    tag: 'b',
    name: 'SORT',
    uid: true,
    criteria: [{ key: 'ARRIVAL', reverse: false }],
    charset: 'US-ASCII',
    key: { kind: 'all' },
  });
  assert.deepEqual(parse('c UID THREAD references UTF-8 1:5'), {
    tag: 'c',
    name: 'THREAD',
    uid: true,
    algorithm: 'REFERENCES',
    charset: 'UTF-8',
    key: { kind: 'seq', set: parseSet('1:5') },
  });
  const t = parse('d THREAD ORDEREDSUBJECT KOI8-R ALL');
  assert.ok(typeof t !== 'string' && t.name === 'THREAD' && t.charset === 'KOI8-R', 'an unknown charset parses; the command says NO');
});

function parseSet(set: string): unknown {
  const r = parse(`x FETCH ${set} UID`);
  assert.ok(typeof r !== 'string' && r.name === 'FETCH');
  return r.set;
}

test('parser: malformed SORT and THREAD are BAD', () => {
  for (const line of [
    'a SORT () UTF-8 ALL',
    'a SORT (REVERSE) UTF-8 ALL',
    'a SORT (REVERSE REVERSE DATE) UTF-8 ALL',
    'a SORT (DATE',
    'a SORT DATE UTF-8 ALL',
    'a SORT (DATE) UTF-8',
    'a SORT (DATE)',
    'a SORT (SENDER) UTF-8 ALL',
    'a SORT (DATE) UTF-8 NOSUCHKEY',
    'a THREAD UTF-8 ALL',
    'a THREAD XYZZY UTF-8 ALL',
    'a THREAD REFERENCES UTF-8',
    'a UID THREAD REFERENCES',
  ]) {
    assert.equal(typeof parse(line), 'string', line);
  }
});
