// The per-process mailbox cache: one log read per hinted mailbox for all local watchers, coalesced bursts, own
// echoes ignored, and a gap in the log answered by one reopen handed to every watcher (never a silent skip).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Envelope, LogEntry, MailboxStatus, Operation, RequestOf } from '../../src/mailstore/api.js';
import type { Invoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import { MailboxCache, type MailboxWatcher, type OpenedMailbox } from '../../src/mailstore/mailbox-cache.js';
import { LocalHintBus } from '../../src/notify/index.js';
import type { BlobStore } from '../../src/storage/blob.js';

function status(modseq: number): MailboxStatus {
  return {
    mailboxId: 'mbx',
    path: 'INBOX',
    uidValidity: 1,
    uidNext: modseq,
    highestModseq: modseq,
    messages: 0,
    unseen: 0,
    deleted: 0,
    bytes: 0,
    keywords: [],
    specialUse: null,
  };
}

/** A store whose log holds entries 1..head, or only from `truncatedBelow` on. */
class FakeStore implements Invoker {
  head = 1;
  truncatedBelow = 0;
  calls: { op: string; since?: number }[] = [];
  async invoke<O extends Operation>(op: O, request: RequestOf<O>): Promise<Envelope<O>> {
    const since = (request as { since?: number }).since;
    this.calls.push({ op, since });
    await new Promise((resolve) => setImmediate(resolve));
    if (op === 'mailbox.changes') {
      const from = since ?? 0;
      if (from + 1 < this.truncatedBelow) return { ok: true, result: { status: status(this.head), entries: [], resync: true } } as unknown as Envelope<O>;
      const entries: LogEntry[] = [];
      for (let m = from + 1; m <= this.head; m++) entries.push({ modseq: m, op: 'N', by: 'x' });
      return { ok: true, result: { status: status(this.head), entries, resync: false } } as unknown as Envelope<O>;
    }
    if (op === 'mailbox.open') {
      const opened: OpenedMailbox = {
        status: status(this.head),
        messages: { uids: [], flags: [], keywords: [], modseqs: [], sizes: [], dates: [], emailIds: [] },
        blobPrefix: 'p/',
      };
      return { ok: true, result: opened } as unknown as Envelope<O>;
    }
    throw new Error(`unexpected ${op}`);
  }
}

function watcher(start: number): MailboxWatcher & { got: number[]; resyncs: number; at: number } {
  const w = {
    mailboxId: 'mbx',
    at: start,
    got: [] as number[],
    resyncs: 0,
    modseq: () => w.at,
    token: () => 't',
    path: () => 'INBOX',
    changes(entries: readonly LogEntry[], s: MailboxStatus) {
      for (const e of entries) if (e.modseq > w.at) w.got.push(e.modseq);
      w.at = Math.max(w.at, s.highestModseq);
    },
    resync(opened: OpenedMailbox) {
      w.resyncs++;
      w.at = opened.status.highestModseq;
    },
  };
  return w;
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(cond(), 'condition never held');
};

describe('MailboxCache', () => {
  it('reads the log once per hint burst for all watchers, and ignores hints they already have', async () => {
    const store = new FakeStore();
    const bus = new LocalHintBus();
    const cache = new MailboxCache(new MailStoreClient(store, {} as BlobStore), bus, { pollMs: 0 });
    const watchers = Array.from({ length: 20 }, () => watcher(1));
    const stops = watchers.map((w) => cache.watch(w));
    store.head = 4;
    for (let m = 2; m <= 4; m++) bus.publish({ mailboxId: 'mbx', modseq: m });
    await until(() => watchers.every((w) => w.at === 4));
    for (const w of watchers) assert.deepEqual(w.got, [2, 3, 4]);
    const reads = store.calls.length;
    assert.ok(reads >= 1 && reads <= 2, `one read (plus at most one coalesced follow-up), got ${reads}`);
    bus.publish({ mailboxId: 'mbx', modseq: 4 }); // an echo of what everyone has: no read
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(store.calls.length, reads);
    for (const stop of stops) stop();
    assert.equal(cache.watchedMailboxes, 0);
    cache.close();
  });

  it('a gap in the log is one reopen, handed to every watcher', async () => {
    const store = new FakeStore();
    const bus = new LocalHintBus();
    const cache = new MailboxCache(new MailStoreClient(store, {} as BlobStore), bus, { pollMs: 0 });
    const watchers = [watcher(1), watcher(1), watcher(1)];
    for (const w of watchers) cache.watch(w);
    store.head = 50;
    store.truncatedBelow = 40;
    await cache.refresh('mbx');
    assert.deepEqual(
      store.calls.map((c) => c.op),
      ['mailbox.changes', 'mailbox.open'],
    );
    for (const w of watchers) {
      assert.equal(w.resyncs, 1);
      assert.equal(w.at, 50);
    }
    cache.close();
  });

  it('the safety poll reads watched mailboxes without any hint', async () => {
    const store = new FakeStore();
    const cache = new MailboxCache(new MailStoreClient(store, {} as BlobStore), undefined, { pollMs: 10 });
    const w = watcher(1);
    cache.watch(w);
    store.head = 3;
    await until(() => w.at === 3);
    assert.deepEqual(w.got, [2, 3]);
    cache.close();
  });
});
