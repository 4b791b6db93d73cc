import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MailboxView } from '../../../src/imap/session/mailbox-view.js';
import type { HotList, MailboxStatus } from '../../../src/mailstore/api.js';

const status = (modseq: number, uidNext: number): MailboxStatus => ({
  mailboxId: 'mb1',
  path: 'INBOX',
  uidValidity: 7,
  uidNext,
  highestModseq: modseq,
  messages: 0,
  unseen: 0,
  deleted: 0,
  bytes: 0,
  keywords: [],
  specialUse: null,
});

const hot = (uids: number[]): HotList => ({
  uids,
  flags: uids.map(() => 0),
  keywords: uids.map(() => []),
  modseqs: uids.map(() => 1),
  sizes: uids.map(() => 100),
  dates: uids.map(() => 0),
  emailIds: uids.map((u) => `e${u}`),
});

test('expunges wait while they are not allowed, then go highest first; additions become EXISTS', () => {
  const view = new MailboxView({ status: status(3, 4), messages: hot([1, 2, 3]), blobPrefix: 'p/' }, false);
  view.applyChanges(
    [
      { modseq: 4, op: 'X', by: 'x', uids: [1, 3] },
      { modseq: 5, op: 'A', by: 'x', added: hot([4]) },
      { modseq: 6, op: 'F', by: 'x', uids: [2], flags: [1], keywords: [[]] },
    ],
    status(6, 5),
  );
  const held = view.flush(false);
  assert.deepEqual(held.filter((u) => u.kind === 'expunge'), []);
  assert.deepEqual(held.find((u) => u.kind === 'exists'), { kind: 'exists', count: 4 });
  assert.deepEqual(held.find((u) => u.kind === 'fetch'), { kind: 'fetch', seq: 2, uid: 2, flags: ['\\Seen'] });
  assert.equal(view.count, 4, 'ghosts keep their sequence numbers');
  assert.deepEqual(view.flush(true), [
    { kind: 'expunge', seq: 3 },
    { kind: 'expunge', seq: 1 },
  ]);
  assert.deepEqual([0, 1].map((i) => view.uidAt(i)), [2, 4]);
  assert.equal(view.modseq, 6);
});

test('an echo of our own flag change is not announced again', () => {
  const view = new MailboxView({ status: status(1, 2), messages: hot([1]), blobPrefix: 'p/' }, false);
  view.applyFlags(1, 4, [], 2);
  view.applyChanges([{ modseq: 2, op: 'F', by: 'me', uids: [1], flags: [4], keywords: [[]] }], status(2, 2));
  assert.deepEqual(view.flush(true), []);
});

test('UID sets resolve against the UIDs present; sequence numbers past the end are reported', () => {
  const view = new MailboxView({ status: status(1, 10), messages: hot([3, 5, 9]), blobPrefix: 'p/' }, false);
  const byUid = view.resolve({ kind: 'ranges', ranges: [{ start: 4, end: '*' }] }, true);
  assert.deepEqual(byUid.rows.map((r) => [r.seq, r.uid]), [[2, 5], [3, 9]]);
  assert.equal(view.resolve({ kind: 'ranges', ranges: [{ start: 4, end: 4 }] }, false).outOfRange, true);
  assert.deepEqual(view.resolve({ kind: 'ranges', ranges: [{ start: 2, end: '*' }] }, false).rows.map((r) => r.uid), [5, 9]);
});
