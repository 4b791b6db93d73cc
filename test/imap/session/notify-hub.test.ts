// The process's NOTIFY hub on a real store (SQLite + files) and the in-process hint bus: a burst of hints for one
// mailbox within one turn of the event loop costs ONE status read, shared by every watcher; a hint during a read
// costs exactly one more; the store's CREATE / RENAME / SUBSCRIBE publish the user-level hint, which costs one
// `mailbox.list` per burst; a watcher whose token cannot read the mailbox is told it is gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { loadConfig } from '../../../src/config.js';
import { openStore, type Store } from '../../../src/server/store.js';
import { addUser } from '../../../src/mailstore/directory.js';
import { LocalHintBus } from '../../../src/notify/index.js';
import { NotifyHub } from '../../../src/imap/session/notify-hub.js';
import type { MailboxListEntry, MailboxStatus } from '../../../src/mailstore/api.js';

let dir: string;
let store: Store;
let bus: LocalHintBus;
let token: string;
let userId: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stratus-notify-hub-'));
  store = openStore(loadConfig({ STRATUS_DATA_DIR: dir }));
  bus = new LocalHintBus();
  store.ctx.publishHint = (hint) => bus.publish(hint);
  await addUser(store.ctx, 'hub@example.com', 'pw');
  ({ token, userId } = await store.client.login('hub@example.com', 'pw'));
});
after(async () => {
  await bus.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Lets the bus's microtasks, the hub's setImmediate and its store read run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await tick();
}

test('ten hints in one tick: one status read, handed to both watchers', async () => {
  const { mailboxId } = await store.client.call('mailbox.create', { token, path: 'Burst' });
  const hub = new NotifyHub(store.client, bus);
  const seen: MailboxStatus[][] = [[], []];
  for (const i of [0, 1]) hub.watchMailbox({ mailboxId, token: () => token, changed: (s) => seen[i]!.push(s), gone: () => assert.fail('gone') });
  for (let m = 1; m <= 10; m++) bus.publish({ mailboxId, modseq: m });
  await settle();
  assert.equal(hub.reads, 1);
  assert.equal(seen[0]!.length, 1);
  assert.equal(seen[1]!.length, 1);
  assert.equal(seen[0]![0]!.mailboxId, mailboxId);
  hub.close();
});

test('four more hints once a read has started cost exactly one more read', async () => {
  const { mailboxId } = await store.client.call('mailbox.create', { token, path: 'During' });
  const hub = new NotifyHub(store.client, bus);
  let changes = 0;
  hub.watchMailbox({
    mailboxId,
    token: () => token,
    changed: () => {
      changes++;
    },
    gone: () => undefined,
  });
  bus.publish({ mailboxId, modseq: 1 });
  await tick(); // the read has started
  await tick();
  for (let m = 2; m <= 5; m++) bus.publish({ mailboxId, modseq: m });
  await settle();
  assert.equal(hub.reads, 2);
  assert.equal(changes, 2);
  hub.close();
});

test('CREATE, RENAME and SUBSCRIBE in the store publish the user-level hint; a burst costs one list', async () => {
  const hub = new NotifyHub(store.client, bus);
  const lists: (readonly MailboxListEntry[])[] = [];
  hub.watchUser({ userId, token: () => token, changed: (l) => lists.push(l) });
  await store.client.call('mailbox.create', { token, path: 'Fresh' });
  await settle();
  assert.equal(lists.length, 1);
  assert.ok(lists[0]!.some((e) => e.path === 'Fresh'));
  // Two commits back to back, hints delivered in one turn: one list.
  await Promise.all([
    store.client.call('mailbox.rename', { token, from: 'Fresh', to: 'Renamed' }),
    store.client.call('mailbox.subscribe', { token, path: 'INBOX', subscribed: true }),
  ]);
  await settle();
  assert.ok(lists.length >= 2 && lists.length <= 3, `lists: ${lists.length}`);
  const last = lists[lists.length - 1]!;
  assert.ok(last.some((e) => e.path === 'Renamed') && !last.some((e) => e.path === 'Fresh'));
  assert.ok(last.some((e) => e.path === 'INBOX' && e.subscribed));
  assert.equal(hub.reads, lists.length);
  hub.close();
});

test('a deleted mailbox: its watchers are told it is gone', async () => {
  const { mailboxId } = await store.client.call('mailbox.create', { token, path: 'Doomed' });
  const hub = new NotifyHub(store.client, bus);
  let gone = 0;
  hub.watchMailbox({ mailboxId, token: () => token, changed: () => assert.fail('changed'), gone: () => void gone++ });
  await store.client.call('mailbox.delete', { token, path: 'Doomed' });
  await settle();
  assert.equal(gone, 1);
  hub.close();
});
