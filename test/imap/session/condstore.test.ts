// RFC 7162 §3.2.5.1/§3.2.5.2: which UIDs VANISHED (EARLIER) names, from the change log and — when the log no longer
// reaches back (`resync`) — the conservative answer narrowed by sequence-match data. And the view's QRESYNC/CONDSTORE
// forms of unsolicited updates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MailboxView } from '../../../src/imap/session/mailbox-view.js';
import { vanishedSince } from '../../../src/imap/session/condstore.js';
import type { CommandContext } from '../../../src/imap/session/context.js';
import type { HotList, LogEntry, MailboxStatus } from '../../../src/mailstore/api.js';
import type { SequenceSet } from '../../../src/imap/types.js';

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
  modseqs: uids.map((u) => u),
  sizes: uids.map(() => 100),
  dates: uids.map(() => 0),
  emailIds: uids.map((u) => `e${u}`),
});

function ctxWith(changes: { entries: LogEntry[]; resync: boolean }, uidNext: number): CommandContext {
  const store = { call: async () => ({ status: status(50, uidNext), ...changes }) };
  return { deps: { store }, state: { token: 't' } } as unknown as CommandContext;
}

const set = (...ranges: [number, number][]): SequenceSet => ({ kind: 'ranges', ranges: ranges.map(([start, end]) => ({ start, end })) });

test('VANISHED from the log: X entries only, within the client\'s UIDs, never a UID still present', async () => {
  const view = new MailboxView({ status: status(50, 31), messages: hot([3, 6, 9, 30]), blobPrefix: 'p/' }, false);
  const entries: LogEntry[] = [
    { modseq: 41, op: 'X', by: 's', uids: [1, 2] },
    { modseq: 42, op: 'F', by: 's', uids: [3], flags: [1], keywords: [[]] },
    { modseq: 43, op: 'X', by: 's', uids: [20, 25] },
  ];
  const ctx = ctxWith({ entries, resync: false }, 31);
  assert.deepEqual(await vanishedSince(ctx, view, 40, () => true), [1, 2, 20, 25]);
  assert.deepEqual(await vanishedSince(ctx, view, 40, (u) => u > 10), [20, 25]);
});

test('VANISHED after a truncated log: every UID below UIDNEXT that is gone, above what seq-match proves known', async () => {
  // Only UIDs divisible by three are present (the RFC's example, small).
  const present = [3, 6, 9, 12, 15, 18, 21, 24, 27, 30];
  const view = new MailboxView({ status: status(50, 31), messages: hot(present), blobPrefix: 'p/' }, false);
  const ctx = ctxWith({ entries: [], resync: true }, 31);
  const gone = Array.from({ length: 30 }, (_, i) => i + 1).filter((u) => u % 3 !== 0);
  assert.deepEqual(await vanishedSince(ctx, view, 1, () => true), gone);
  // Pairs (4 → 12) and (6 → 18) match the view; (8 → 25) does not (message 8 is UID 24): nothing ≤ 18 is reported.
  const match = { seqs: set([4, 4], [6, 6], [8, 8]), uids: set([12, 12], [18, 18], [25, 25]) };
  assert.deepEqual(await vanishedSince(ctx, view, 1, () => true, match), gone.filter((u) => u > 18));
});

test('once QRESYNC is enabled, queued expunges flush as one VANISHED; CONDSTORE adds MODSEQ to FETCH FLAGS', () => {
  const enabled = new Set<string>(['CONDSTORE']);
  const view = new MailboxView({ status: status(4, 5), messages: hot([1, 2, 3, 4]), blobPrefix: 'p/' }, false, enabled);
  view.applyChanges(
    [
      { modseq: 5, op: 'F', by: 's', uids: [2], flags: [1], keywords: [[]] },
      { modseq: 6, op: 'X', by: 's', uids: [1, 3] },
    ],
    status(6, 5),
  );
  enabled.add('QRESYNC');
  assert.deepEqual(view.flush(true), [
    { kind: 'vanished', uids: [1, 3] },
    { kind: 'fetch', seq: 1, uid: 2, flags: ['\\Seen'], modseq: 5 },
  ]);
});
