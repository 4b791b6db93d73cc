// The mailbox cache's SharedAdvance (src/mailstore/mailbox-cache.ts) as the selected views take it
// (src/imap/session/mailbox-view.ts): with many sessions on one mailbox, one log read is applied once by the cache,
// and every view that holds exactly the cache's columns takes the result instead of copying and inserting on its
// own — so after a hint, N idle sessions hold ONE copy of the mailbox, not N. Each case checks that what the client is
// told (flush) and what the view then holds are exactly what a view fed the plain log entries gets, including when
// the session is busy (appends pile up unflushed), changes its own rows meanwhile (own STORE), or the read is not
// one the cache shares (an expunge).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Envelope, HotList, LogEntry, MailboxStatus, Operation, RequestOf } from '../../../src/mailstore/api.js';
import type { Invoker } from '../../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../../src/mailstore/client.js';
import { MailboxCache, type MailboxWatcher, type SharedAdvance } from '../../../src/mailstore/mailbox-cache.js';
import { MailboxView } from '../../../src/imap/session/mailbox-view.js';
import type { BlobStore } from '../../../src/storage/blob.js';

const MAILBOX = 'mbx';

function emptyList(): HotList {
  return { uids: [], flags: [], keywords: [], modseqs: [], sizes: [], dates: [], emailIds: [], saveDates: [] };
}

function row(uid: number, modseq: number): HotList {
  return { uids: [uid], flags: [0], keywords: [[]], modseqs: [modseq], sizes: [100 + uid], dates: [1_700_000_000_000 + uid], emailIds: [`e${uid}`], saveDates: [0] };
}

/** A mailbox with a change log, answering what the cache asks (open, reopen, changes). */
class LogStore implements Invoker {
  messages = emptyList();
  log: LogEntry[] = [];
  modseq = 1;
  uidNext = 1;
  keywords: string[] = [];
  calls: string[] = [];

  constructor(uids: number[]) {
    for (const uid of uids) this.addRow(uid);
  }

  status(): MailboxStatus {
    return {
      mailboxId: MAILBOX,
      path: 'INBOX',
      uidValidity: 7,
      uidNext: this.uidNext,
      highestModseq: this.modseq,
      messages: this.messages.uids.length,
      unseen: 0,
      deleted: 0,
      bytes: 0,
      keywords: [...this.keywords],
      specialUse: null,
    };
  }

  private addRow(uid: number): HotList {
    const r = row(uid, this.modseq);
    for (const key of Object.keys(r) as (keyof HotList)[]) (this.messages[key] as unknown[]).push(...(r[key] as unknown[]));
    this.uidNext = uid + 1;
    return r;
  }

  append(uid: number): void {
    this.modseq++;
    this.log.push({ modseq: this.modseq, op: 'A', by: 'other', added: this.addRow(uid) });
  }

  setFlags(uid: number, flags: number, keywords: string[] = []): void {
    this.modseq++;
    const i = this.messages.uids.indexOf(uid);
    this.messages.flags[i] = flags;
    this.messages.keywords[i] = keywords;
    this.messages.modseqs[i] = this.modseq;
    for (const k of keywords) if (!this.keywords.includes(k)) this.keywords.push(k);
    this.log.push({ modseq: this.modseq, op: 'F', by: 'other', uids: [uid], flags: [flags], keywords: [keywords] });
  }

  expunge(uid: number): void {
    this.modseq++;
    const i = this.messages.uids.indexOf(uid);
    for (const key of Object.keys(this.messages) as (keyof HotList)[]) (this.messages[key] as unknown[]).splice(i, 1);
    this.log.push({ modseq: this.modseq, op: 'X', by: 'other', uids: [uid] });
  }

  since(modseq: number): LogEntry[] {
    return structuredClone(this.log.filter((e) => e.modseq > modseq));
  }

  async invoke<O extends Operation>(op: O, request: RequestOf<O>): Promise<Envelope<O>> {
    this.calls.push(op);
    const since = (request as { since?: number }).since ?? 0;
    const answer = (result: unknown): Envelope<O> => ({ ok: true, result: structuredClone(result) }) as unknown as Envelope<O>;
    if (op === 'mailbox.open') return answer({ status: this.status(), messages: this.messages, blobPrefix: 'p/' });
    if (op === 'mailbox.reopen') return answer({ status: this.status(), entries: this.since(since), blobPrefix: 'p/' });
    if (op === 'mailbox.changes') return answer({ status: this.status(), entries: this.since(since), resync: false });
    throw new Error(`unexpected ${op}`);
  }
}

/** What watch.ts's ViewWatcher does, without a session around it. */
function watcherOf(view: MailboxView): MailboxWatcher & { advances: number } {
  const w = {
    mailboxId: MAILBOX,
    advances: 0,
    modseq: () => view.modseq,
    token: () => 't',
    path: () => 'INBOX',
    changes(entries: readonly LogEntry[], status: MailboxStatus, advance?: SharedAdvance) {
      if (advance) w.advances++;
      view.applyChanges(entries, status, advance);
    },
    resync() {
      throw new Error('no resync expected');
    },
  };
  return w;
}

/** The view's rows object (private): views that share one copy of the mailbox hold the same one. */
function rowsOf(view: MailboxView): unknown {
  return (view as unknown as { rows: unknown }).rows;
}

/** Everything a client can learn from a view's messages. */
function contents(view: MailboxView): unknown[] {
  return Array.from({ length: view.count }, (_, i) => [view.uidAt(i), view.flagsAt(i), view.modseqAt(i), view.sizeAt(i), view.dateAt(i), view.emailIdAt(i)]);
}

async function setUp(sessions: number, enabled: string[] = ['IMAP4rev2']) {
  const store = new LogStore([1, 2, 3]);
  const cache = new MailboxCache(new MailStoreClient(store, {} as BlobStore), undefined, { pollMs: 0 });
  const views: MailboxView[] = [];
  const watchers: ReturnType<typeof watcherOf>[] = [];
  for (let i = 0; i < sessions; i++) {
    const opened = await cache.open('user', 't', 'INBOX'); // a SELECT each, as sessions do
    const view = new MailboxView(opened, false, new Set(enabled));
    const w = watcherOf(view);
    cache.watch(w);
    views.push(view);
    watchers.push(w);
  }
  // The reference: a view with its own rows, fed the plain entries (the path every view took before).
  const opened = await store.invoke('mailbox.open', { token: 't', path: 'INBOX' });
  if (!opened.ok) throw new Error('open failed');
  const control = new MailboxView({ status: opened.result.status, messages: opened.result.messages, blobPrefix: 'p/' }, false, new Set(enabled));
  const feedControl = (): void => void control.applyChanges(store.since(control.modseq), store.status());
  return { store, cache, views, watchers, control, feedControl };
}

describe('SharedAdvance: sessions on one mailbox take the cache\'s one copy of a read', () => {
  it('an append read reaches 30 views as one shared copy; each announces what a view fed the entries announces', async () => {
    const { store, cache, views, watchers, control, feedControl } = await setUp(30);
    const before = rowsOf(views[0]!);
    assert.ok(views.every((v) => rowsOf(v) === before), 'SELECT shares the cache\'s columns');
    store.append(4);
    store.append(5);
    await cache.refresh(MAILBOX);
    feedControl();
    const expected = control.flush(true);
    assert.deepEqual(expected, [{ kind: 'exists', count: 5 }]);
    for (const v of views) {
      assert.equal(v.hasPending, true);
      assert.equal(v.pendingUidNext, 6);
      assert.deepEqual(v.flush(true), expected);
      assert.equal(v.hasPending, false);
      assert.deepEqual(contents(v), contents(control));
      assert.equal(v.modseq, control.modseq);
    }
    assert.ok(watchers.every((w) => w.advances === 1), 'the cache offered the read to every view as a SharedAdvance');
    const after = rowsOf(views[0]!);
    assert.notEqual(after, before);
    assert.ok(views.every((v) => rowsOf(v) === after), 'one copy for all 30 views, not one each');

    // The next hint: the views hold the cache's columns again, so they share again.
    store.append(6);
    await cache.refresh(MAILBOX);
    feedControl();
    const next = control.flush(true);
    for (const v of views) assert.deepEqual(v.flush(true), next);
    assert.ok(views.every((v) => rowsOf(v) === rowsOf(views[0]!) && rowsOf(v) !== after), 'the next read is shared too');
    assert.deepEqual(contents(views[29]!), contents(control));
    cache.close();
  });

  it('a busy session piles appends up unflushed, or changes its rows meanwhile: the client is told the same', async () => {
    const { store, cache, views, control, feedControl } = await setUp(4, []);
    const [busy, storingEarly, storingLate, idle] = views as [MailboxView, MailboxView, MailboxView, MailboxView];
    store.append(4);
    await cache.refresh(MAILBOX);
    idle.flush(true);
    // Own STORE on a message of the view (its result, applied before the echo arrives), between the reads…
    storingEarly.applyFlags(1, 0b1000, ['$Own'], 40);
    store.append(5);
    await cache.refresh(MAILBOX);
    // …and after them, with both appends still pending as the cache's columns.
    storingLate.applyFlags(1, 0b1000, ['$Own'], 40);
    feedControl();
    const expected = control.flush(true); // rev1: EXISTS and RECENT (none claimed)
    assert.deepEqual(busy.flush(true), expected, 'two appends held unflushed go out as one EXISTS');
    assert.deepEqual(contents(busy), contents(control));
    for (const storing of [storingEarly, storingLate]) {
      assert.deepEqual(storing.flush(true).filter((u) => u.kind !== 'flags'), expected);
      assert.deepEqual(contents(storing).slice(1), contents(control).slice(1));
      assert.deepEqual(storing.keywordsAt(0), ['$Own'], 'the own STORE result is kept');
    }
    assert.deepEqual(idle.flush(true), expected);
    assert.deepEqual(contents(idle), contents(control));
    cache.close();
  });

  it('a flag change read: FETCH with the session\'s own sequence number (and MODSEQ under CONDSTORE), rows shared', async () => {
    const { store, cache, views, control, feedControl } = await setUp(5, ['IMAP4rev2', 'CONDSTORE']);
    store.setFlags(2, 0b1000, ['$Label']);
    await cache.refresh(MAILBOX);
    feedControl();
    const expected = control.flush(true);
    assert.deepEqual(
      expected.map((u) => u.kind),
      ['flags', 'fetch'],
    );
    for (const v of views) {
      assert.deepEqual(v.flush(true), expected);
      assert.deepEqual(contents(v), contents(control));
    }
    assert.ok(views.every((v) => rowsOf(v) === rowsOf(views[0]!)), 'one copy for all views after a flag change');
    cache.close();
  });

  it('an expunge is not shared: each view applies the entries, and EXPUNGE still waits where it must', async () => {
    const { store, cache, views, watchers, control, feedControl } = await setUp(3);
    store.expunge(2);
    store.append(4);
    await cache.refresh(MAILBOX);
    feedControl();
    assert.ok(watchers.every((w) => w.advances === 0), 'an expunge is not offered as a SharedAdvance');
    const held = control.flush(false);
    for (const v of views) assert.deepEqual(v.flush(false), held, 'no EXPUNGE during FETCH, STORE or SEARCH');
    const released = control.flush(true);
    for (const v of views) {
      assert.deepEqual(v.flush(true), released);
      assert.deepEqual(contents(v), contents(control));
    }
    cache.close();
  });
});
