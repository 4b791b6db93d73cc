// A text SEARCH over a long unsealed tail gives the event loop a turn between its batches of 100 (search-scan.ts):
// the embedded store answers `message.meta` without one, so the whole tail used to be matched in one stretch while
// every other connection of the process waited (bench/event-loop-stalls.ts showed stretches of up to 80 ms).
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

test('SEARCH BODY over 350 unsealed messages yields between batches and still finds every match', async () => {
  const view = new MailboxView({ status, messages, blobPrefix: 'p/' }, false);
  // Answers at once (a resolved promise: microtasks only), as the inline embedded store does.
  const meta: MetaLoader = { load: (ids) => Promise.resolve(new Map(ids.map((id) => [id, index(Number(id.slice(1)))]))) };
  let turns = 0;
  let counting = true;
  const tick = (): void => {
    if (!counting) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const found = await scanView({ kind: 'body', value: 'zephyrine' }, meta, view, (m) => m.uid);
  counting = false;
  assert.deepEqual(found, uids.filter((u) => u % 7 === 0));
  // Four batches (100, 100, 100, 50): a turn before each batch after the first.
  assert.ok(turns >= 3, `event-loop turns during the scan: ${turns}`);
});
