// A scan that reads cold items (SORT, THREAD, a Date: key) gives the event loop a turn between its batches of 100
// (search-scan.ts): the embedded store answers `message.meta` without one, so a long mailbox used to be walked in one
// stretch while every other connection of the process waited (bench/event-loop-stalls.ts showed up to 80 ms). Text
// keys come from the store's `message.searchText` (cold items keep no text since issue #8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MailboxView } from '../../../src/imap/session/mailbox-view.js';
import { scanView, type MetaLoader } from '../../../src/imap/session/search-scan.js';
import type { HotList, MailboxStatus } from '../../../src/mailstore/api.js';
import type { MessageIndex } from '../../../src/mime/types.js';
import { indexMessage } from '../../../src/mime/index-message.js';

const COUNT = 350;
const uids = Array.from({ length: COUNT }, (_, i) => i + 1);
const status: MailboxStatus = {
  mailboxId: 'mb1', path: 'INBOX', uidValidity: 7, uidNext: COUNT + 1, highestModseq: COUNT,
  messages: COUNT, unseen: COUNT, deleted: 0, bytes: COUNT * 100, keywords: [], specialUse: null,
};
const messages: HotList = {
  uids,
  flags: uids.map(() => 0),
  keywords: uids.map(() => []),
  modseqs: uids,
  sizes: uids.map(() => 100),
  dates: uids.map(() => 0),
  emailIds: uids.map((u) => `e${u}`),
};
const index = (uid: number): MessageIndex =>
  indexMessage(Buffer.from(`Subject: m${uid}\r\n\r\n${uid % 7 === 0 ? 'zephyrine' : 'plain'} text\r\n`));

test('a SORT-style scan with BODY over 350 messages yields between batches and still finds every match', async () => {
  const view = new MailboxView({ status, messages, blobPrefix: 'p/' }, false);
  // Both answer at once (a resolved promise: microtasks only), as the inline embedded store does.
  const meta: MetaLoader = {
    load: (ids) => Promise.resolve(new Map(ids.map((id) => [id, index(Number(id.slice(1)))]))),
    searchText: (_mailboxId, keys) =>
      Promise.resolve({ upTo: COUNT, uids: keys.map((k) => uids.filter((u) => index(u).text.includes(k.value))) }),
  };
  let turns = 0;
  let counting = true;
  const tick = (): void => {
    if (!counting) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  // withIndex: the cold items of every message are read (SORT's fields, THREAD's references).
  const found = await scanView({ kind: 'body', value: 'zephyrine' }, meta, view, (m) => m.uid, true);
  counting = false;
  assert.deepEqual(found, uids.filter((u) => u % 7 === 0));
  // Four batches (100, 100, 100, 50): a turn before each batch after the first.
  assert.ok(turns >= 3, `event-loop turns during the scan: ${turns}`);
});
