// The process's NOTIFY hub on a real store (SQLite + files) and the in-process hint bus: a burst of hints for one
// mailbox within one turn of the event loop costs ONE status read, shared by every watcher; a hint during a read
// costs exactly one more; the store's CREATE / RENAME / SUBSCRIBE publish the user-level hint, which costs one
// `mailbox.list` per burst; a watcher whose token cannot read the mailbox is told it is gone; watchers of two users
// read once per user, each with its own rights; a grant to `anyone` is one tenant-level hint.
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
  for (const i of [0, 1]) hub.watchMailbox({ mailboxId, userId, token: () => token, changed: (s) => seen[i]!.push(s), gone: () => assert.fail('gone') });
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
    userId,
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
  hub.watchMailbox({ mailboxId, userId, token: () => token, changed: () => assert.fail('changed'), gone: () => void gone++ });
  await store.client.call('mailbox.delete', { token, path: 'Doomed' });
  await settle();
  assert.equal(gone, 1);
  hub.close();
});

test("each user's watchers read with that user's rights: one whose r was taken is told it is gone, the owner is not", async () => {
  const { mailboxId } = await store.client.call('mailbox.create', { token, path: 'Common' });
  await addUser(store.ctx, 'hub-peer@example.com', 'pw');
  const peer = await store.client.login('hub-peer@example.com', 'pw');
  await store.client.call('acl.set', { token, path: 'Common', identifier: 'hub-peer@example.com', rights: 'lr' });
  const hub = new NotifyHub(store.client, bus);
  const owner: MailboxStatus[] = [];
  const peerSeen: MailboxStatus[] = [];
  let peerGone = 0;
  for (let i = 0; i < 2; i++) hub.watchMailbox({ mailboxId, userId, token: () => token, changed: (s) => owner.push(s), gone: () => assert.fail('owner gone') });
  hub.watchMailbox({ mailboxId, userId: peer.userId, token: () => peer.token, changed: (s) => peerSeen.push(s), gone: () => void peerGone++ });
  // Taking r publishes the mailbox's access hint (user-hint.ts): every user watching reads again with its own token.
  await store.client.call('acl.set', { token, path: 'Common', identifier: 'hub-peer@example.com', rights: '-r' });
  await settle();
  assert.equal(hub.reads, 2, 'one read per user, not per watcher');
  assert.equal(owner.length, 2);
  assert.equal(peerSeen.length, 0);
  assert.equal(peerGone, 1);
  assert.equal(hub.lastStatus(mailboxId, peer.userId), undefined);
  assert.equal(hub.lastStatus(mailboxId, userId)?.mailboxId, mailboxId);
  hub.close();
});

test("a grant to anyone: one tenant-level hint, one list read per watched user of the tenant", async () => {
  await store.client.call('mailbox.create', { token, path: 'ForAll' });
  const others = await Promise.all(
    ['hub-a@example.com', 'hub-b@example.com'].map(async (login) => {
      await addUser(store.ctx, login, 'pw');
      return store.client.login(login, 'pw');
    }),
  );
  const hub = new NotifyHub(store.client, bus);
  const lists = new Map<string, (readonly MailboxListEntry[])[]>();
  for (const u of others) {
    lists.set(u.userId, []);
    hub.watchUser({ userId: u.userId, tenantId: u.tenantId, token: () => u.token, changed: (l) => lists.get(u.userId)!.push(l) });
  }
  const published: string[] = [];
  const unsubscribe = bus.subscribe(`tenant/${others[0]!.tenantId}`, (h) => published.push(h.mailboxId));
  await store.client.call('acl.set', { token, path: 'ForAll', identifier: 'anyone', rights: 'lr' });
  await settle();
  unsubscribe();
  assert.equal(published.length, 1);
  assert.equal(hub.reads, 2);
  for (const u of others) {
    const [list] = lists.get(u.userId)!;
    assert.ok(list?.some((e) => e.path.endsWith('/ForAll')), JSON.stringify(list));
  }
  hub.close();
});
