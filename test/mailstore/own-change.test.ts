// A write's OwnChange (src/mailstore/own-change.ts) and the process's mailbox cache taking it in (mailbox-cache.ts
// committed), on both real backends. Two "processes" share one store: each has its own MailStoreClient and
// MailboxCache and hears nothing of the other's commits (no shared hint bus), so only the MODSEQ chain tells the
// cache whether a commit of its own follows what it holds.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { backends, type TestBackend } from '../backends.js';
import { addUser } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import { MailboxCache, type MailboxWatcher, type OpenedMailbox } from '../../src/mailstore/mailbox-cache.js';
import type { LogEntry, MailboxStatus } from '../../src/mailstore/api.js';
import { FLAG_DELETED, FLAG_FLAGGED, FLAG_SEEN } from '../../src/mailstore/flags.js';
import { CallMeter } from '../../src/storage/metered.js';

const raw = (i: number) => Buffer.from(`From: a${i}@example.org\r\nTo: alice@example.com\r\nSubject: m${i}\r\n\r\nBody ${i}\r\n`);

/** Another session of the process: what it was handed, and where it stands. */
function watcher(mailboxId: string, at: number, token: string): MailboxWatcher & { at: number; got: number[] } {
  const w = {
    mailboxId,
    at,
    got: [] as number[],
    modseq: () => w.at,
    token: () => token,
    path: () => 'INBOX',
    changes(entries: readonly LogEntry[], status: MailboxStatus) {
      for (const e of entries) if (e.modseq > w.at) w.got.push(e.modseq);
      w.at = Math.max(w.at, status.highestModseq);
    },
    resync(opened: OpenedMailbox) {
      w.at = opened.status.highestModseq;
    },
  };
  return w;
}

for (const backend of backends) {
  describe(`own commits and the process's mailbox cache on ${backend.name}`, () => {
    let b: TestBackend;
    let one: MailStoreClient; // process 1
    let two: MailStoreClient; // process 2, same store
    let token: string;
    let mailboxId: string;

    before(async () => {
      b = await backend.open();
      one = new MailStoreClient(new InlineInvoker(b.ctx), b.blob);
      two = new MailStoreClient(new InlineInvoker({ ...b.ctx }), b.blob);
      await addUser(b.ctx, 'alice@example.com', 'S3cret!');
      token = (await one.login('alice@example.com', 'S3cret!')).token;
      for (let i = 1; i <= 100; i++) await one.append(token, 'INBOX', Readable.from([raw(i)]), raw(i).length, [], Date.UTC(2024, 0, 2) + i);
      mailboxId = (await one.call('mailbox.status', { token, path: 'INBOX' })).mailboxId;
    });
    after(async () => b.close());

    it('STORE and EXPUNGE answer their log entries, dense, as the log has them (several batches too)', async () => {
      const stored = await one.call('message.store', { token, mailboxId, uids: Array.from({ length: 100 }, (_, i) => i + 1), mode: 'add', flags: ['\\Seen', 'Work'] });
      const change = stored.change!;
      assert.equal(change.entries.length, 2, 'two batches of ≤ 95 messages');
      assert.equal(change.status.highestModseq, stored.modseq);
      const log = await one.call('mailbox.changes', { token, mailboxId, since: change.entries[0]!.modseq - 1 });
      assert.deepEqual(change.entries, log.entries);
      assert.deepEqual(change.status, log.status);
      await one.call('message.store', { token, mailboxId, uids: [7, 8], mode: 'add', flags: ['\\Deleted'] });
      const expunged = await one.call('message.expunge', { token, mailboxId, uids: [7, 8] });
      const gone = await one.call('mailbox.changes', { token, mailboxId, since: expunged.modseq - 1 });
      assert.deepEqual(expunged.change, { entries: gone.entries, status: gone.status });
      // A STORE that changes nothing commits nothing and answers no change.
      assert.equal((await one.call('message.store', { token, mailboxId, uids: [1], mode: 'add', flags: ['\\Seen'] })).change, undefined);
    });

    it("the cache takes its own process's commit without a log read; a commit of another process in between is read from the log", async () => {
      const cache = new MailboxCache(one, undefined, { pollMs: 0 });
      const selected = await cache.open('alice', token, 'INBOX');
      const m0 = selected.status.highestModseq;
      const other = watcher(mailboxId, m0, token);
      const stop = cache.watch(other);

      // Our own STORE follows what the cache holds: the other session and the cache's copy take it, no store call.
      const first = await one.call('message.store', { token, mailboxId, uids: [10], mode: 'add', flags: ['\\Flagged'] });
      let mark = b.meter.snapshot();
      cache.committed(first.change!);
      assert.deepEqual(other.got, [m0 + 1]);
      assert.equal(other.at, m0 + 1);
      assert.equal(CallMeter.diff(b.meter.snapshot(), mark).kv, 0);
      mark = b.meter.snapshot();
      const reselected = await cache.open('alice', token, 'INBOX');
      const used = CallMeter.diff(b.meter.snapshot(), mark).byOp;
      assert.equal(used['kv.query'] ?? 0, 0, `a SELECT with nothing new since: no log tail (${JSON.stringify(used)})`);
      assert.equal(reselected.status.highestModseq, m0 + 1);
      assert.ok(reselected.columns.flagsAt(reselected.columns.indexOfUid(10)) & FLAG_FLAGGED);

      // Process 2 commits m0+2, which process 1 never hears of; process 1's next commit (m0+3) does not follow what
      // its cache holds: neither the copy nor the other session may take it, the log is read for them.
      await two.call('message.store', { token, mailboxId, uids: [11], mode: 'add', flags: ['\\Flagged'] });
      const third = await one.call('message.store', { token, mailboxId, uids: [12], mode: 'add', flags: ['\\Flagged'] });
      assert.equal(third.change!.entries[0]!.modseq, m0 + 3);
      cache.committed(third.change!);
      assert.equal(other.at, m0 + 1, 'a gap: nothing handed over');
      await cache.refresh(mailboxId); // what the commit's hint does
      assert.deepEqual(other.got, [m0 + 1, m0 + 2, m0 + 3]);
      const after = await cache.open('alice', token, 'INBOX');
      for (const uid of [10, 11, 12]) assert.ok(after.columns.flagsAt(after.columns.indexOfUid(uid)) & FLAG_FLAGGED, `UID ${uid} flagged`);
      assert.equal(after.status.highestModseq, m0 + 3);
      stop();
      cache.close();
    });

    it('a writer alone holds its commits unapplied and a SELECT applies them; another process in between is read', async () => {
      const cache = new MailboxCache(one, undefined, { pollMs: 0 });
      const m0 = (await cache.open('alice', token, 'INBOX')).status.highestModseq;
      // Two own commits, nobody watching: held by the cache (no copy of the columns per commit).
      const seen = await one.call('message.store', { token, mailboxId, uids: [20], mode: 'remove', flags: ['\\Seen'] });
      cache.committed(seen.change!);
      await one.call('message.store', { token, mailboxId, uids: [21], mode: 'add', flags: ['\\Deleted'] });
      const gone = await one.call('message.expunge', { token, mailboxId, uids: [21] });
      // The STORE of \Deleted was not handed to the cache: the EXPUNGE does not follow what it holds.
      cache.committed(gone.change!);
      let mark = b.meter.snapshot();
      let view = await cache.open('alice', token, 'INBOX');
      let used = CallMeter.diff(b.meter.snapshot(), mark).byOp;
      assert.equal(used['kv.query'], 1, `the log from m0+1 on: ${JSON.stringify(used)}`);
      assert.equal(view.status.highestModseq, m0 + 3);
      assert.equal(view.columns.flagsAt(view.columns.indexOfUid(20)) & FLAG_SEEN, 0);
      assert.equal(view.columns.indexOfUid(21), -1);

      // Own commits held, then a commit of process 2: the SELECT asks for the log after what it holds only.
      const own = await one.call('message.store', { token, mailboxId, uids: [22], mode: 'add', flags: ['\\Deleted'] });
      cache.committed(own.change!);
      await two.call('message.store', { token, mailboxId, uids: [23], mode: 'add', flags: ['\\Deleted'] });
      mark = b.meter.snapshot();
      view = await cache.open('alice', token, 'INBOX');
      used = CallMeter.diff(b.meter.snapshot(), mark).byOp;
      assert.equal(used['kv.query'], 1, JSON.stringify(used));
      assert.equal(view.status.highestModseq, m0 + 5);
      for (const uid of [22, 23]) assert.ok(view.columns.flagsAt(view.columns.indexOfUid(uid)) & FLAG_DELETED, `UID ${uid} \\Deleted`);
      const full = await one.call('mailbox.open', { token, path: 'INBOX' });
      assert.deepEqual(view.columns.toHotList().flags, full.messages.flags);
      assert.deepEqual(view.columns.toHotList().uids, full.messages.uids);
      cache.close();
    });
  });
}
