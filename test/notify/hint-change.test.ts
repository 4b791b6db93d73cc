// A hint carries its commit's change (src/notify/hint-change.ts, mailbox-cache.ts hinted): two "processes" on one
// store — each its own MailStoreClient, MailboxCache and RedisHintBus on a real redis-server — and process 2's
// sessions (real MailboxViews, as IMAP sessions hold them) see process 1's STORE, EXPUNGE, APPEND, delivery, COPY and
// MOVE with ZERO store reads by process 2's cache. A hint whose MODSEQ chain does not follow what the cache holds, a
// change too big to travel, and a malformed payload are read from the log (the log stays the truth).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import { backends, type TestBackend } from '../backends.js';
import { addUser } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import { MailboxCache, type MailboxWatcher, type OpenedMailbox, type SharedAdvance } from '../../src/mailstore/mailbox-cache.js';
import { deliver } from '../../src/mailstore/delivery.js';
import type { LogEntry, MailboxStatus } from '../../src/mailstore/api.js';
import { MailboxView, type ViewUpdate } from '../../src/imap/session/mailbox-view.js';
import { RedisHintBus } from '../../src/notify/index.js';
import { hintChannel, hintPayload } from '../../src/notify/redis-bus.js';
import { startRedis, type RunningRedis } from './redis-server.js';

const raw = (i: number) => Buffer.from(`From: a${i}@example.org\r\nTo: alice@example.com\r\nSubject: m${i}\r\n\r\nBody ${i}\r\n`);

/** A session of process 2: a MailboxView fed by the cache, as session/watch.ts feeds it. */
class Session implements MailboxWatcher {
  readonly mailboxId: string;
  resyncs = 0;
  constructor(
    readonly view: MailboxView,
    private readonly sessionToken: string,
  ) {
    this.mailboxId = view.mailboxId;
  }
  modseq(): number {
    return this.view.modseq;
  }
  token(): string {
    return this.sessionToken;
  }
  path(): string {
    return this.view.path;
  }
  changes(entries: readonly LogEntry[], status: MailboxStatus, advance?: SharedAdvance): void {
    this.view.applyChanges(entries, status, advance);
  }
  resync(_opened: OpenedMailbox): void {
    this.resyncs++;
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(cond(), `never happened: ${what}`);
}

for (const backend of backends) {
  describe(`a hint carries its commit's change, on ${backend.name}`, () => {
    let b: TestBackend;
    let redis: RunningRedis;
    let bus1: RedisHintBus;
    let bus2: RedisHintBus;
    let one: MailStoreClient; // process 1: writes, publishes on bus1
    let silent: MailStoreClient; // a writer whose hints are lost (publishes nothing)
    let cache2: MailboxCache; // process 2: caches, hears bus2
    let two: MailStoreClient;
    let token: string;
    let inbox: string;
    let session: Session;
    let stop: () => void;

    /** Until bus2 hears bus1 on the channel of `mailboxId` (SUBSCRIBE is asynchronous); a plain hint at `modseq`. */
    async function subscribed(mailboxId: string, modseq: number): Promise<void> {
      let heard = false;
      const off = bus2.subscribe(mailboxId, () => (heard = true));
      const ticker = setInterval(() => bus1.publish({ mailboxId, modseq }), 20);
      try {
        await until(() => heard, 'subscription');
      } finally {
        clearInterval(ticker);
        off();
      }
    }

    before(async () => {
      b = await backend.open();
      redis = await startRedis();
      bus1 = await RedisHintBus.connect(redis.url);
      bus2 = await RedisHintBus.connect(redis.url);
      one = new MailStoreClient(new InlineInvoker({ ...b.ctx, publishHint: (h) => bus1.publish(h) }), b.blob);
      silent = new MailStoreClient(new InlineInvoker({ ...b.ctx, publishHint: undefined }), b.blob);
      two = new MailStoreClient(new InlineInvoker({ ...b.ctx, publishHint: (h) => bus2.publish(h) }), b.blob);
      cache2 = new MailboxCache(two, bus2, { pollMs: 0 });
      await addUser(b.ctx, 'alice@example.com', 'S3cret!');
      token = (await one.login('alice@example.com', 'S3cret!')).token;
      for (let i = 1; i <= 20; i++) await silent.append(token, 'INBOX', Readable.from([raw(i)]), raw(i).length, [], Date.UTC(2024, 0, 2) + i);
      await silent.call('mailbox.create', { token, path: 'Kept' });
      const opened = await cache2.open('alice', token, 'INBOX');
      inbox = opened.status.mailboxId;
      session = new Session(new MailboxView(opened, false), token);
      stop = cache2.watch(session);
      await subscribed(inbox, opened.status.highestModseq);
    });
    after(async () => {
      stop?.();
      cache2?.close();
      await bus1?.close();
      await bus2?.close();
      await redis?.stop();
      await b?.close();
    });

    it('STORE, EXPUNGE, APPEND and delivery of process 1 reach process 2 sessions with no store read', async () => {
      const view = session.view;
      const reads = cache2.reads;
      const stored = await one.call('message.store', { token, mailboxId: inbox, uids: [3], mode: 'add', flags: ['\\Flagged', 'Work'] });
      await until(() => view.modseq === stored.modseq, 'STORE reached the view');
      assert.deepEqual(view.flush(true), [
        { kind: 'flags', flags: ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft', 'Work'] },
        { kind: 'fetch', seq: 3, uid: 3, flags: ['\\Flagged', 'Work'] },
      ] satisfies ViewUpdate[]);

      await one.call('message.store', { token, mailboxId: inbox, uids: [4, 5], mode: 'add', flags: ['\\Deleted'] });
      const expunged = await one.call('message.expunge', { token, mailboxId: inbox, uids: [4, 5] });
      await until(() => view.modseq === expunged.modseq, 'EXPUNGE reached the view');
      const updates = view.flush(true);
      assert.deepEqual(
        updates.filter((u) => u.kind === 'expunge'),
        [
          { kind: 'expunge', seq: 5 },
          { kind: 'expunge', seq: 4 },
        ],
      );
      assert.equal(view.count, 18);

      const appended = await one.append(token, 'INBOX', Readable.from([raw(21)]), raw(21).length, ['\\Seen'], Date.UTC(2024, 0, 3));
      await until(() => view.modseq === appended.modseq, 'APPEND reached the view');
      assert.deepEqual(view.flush(true).filter((u) => u.kind === 'exists'), [{ kind: 'exists', count: 19 }]);
      assert.equal(view.uidAt(18), appended.uid);

      const mail = Buffer.from('From: bob@example.org\r\nTo: alice@example.com\r\nSubject: delivered\r\n\r\nHi\r\n');
      const ctx1 = { ...b.ctx, publishHint: (h: Parameters<NonNullable<typeof b.ctx.publishHint>>[0]) => bus1.publish(h) };
      const [outcome] = await deliver(ctx1, { raw: mail, sender: 'bob@example.org', recipients: ['alice@example.com'], messageId: 'hint-change-1', trace: { protocol: 'lmtp', from: 'bob' } });
      assert.equal(outcome?.status, 'delivered');
      await until(() => view.modseq > appended.modseq, 'delivery reached the view');
      assert.deepEqual(view.flush(true).filter((u) => u.kind === 'exists'), [{ kind: 'exists', count: 20 }]);
      assert.equal(cache2.reads, reads, 'process 2 read nothing: every hint carried its change');
      assert.equal(session.resyncs, 0);

      // The cache's own copy moved too: a SELECT in process 2 asks the store only for what came after it.
      const again = await cache2.open('alice', token, 'INBOX');
      assert.equal(again.status.highestModseq, view.modseq);
      assert.equal(again.columns.length, 20);
    });

    it('COPY and MOVE: both mailboxes, no store read', async () => {
      const openedKept = await cache2.open('alice', token, 'Kept');
      const kept = new Session(new MailboxView(openedKept, false), token);
      const stopKept = cache2.watch(kept);
      await subscribed(kept.mailboxId, openedKept.status.highestModseq);
      const reads = cache2.reads;
      const view = session.view;
      view.flush(true);

      const copied = await one.call('message.copy', { token, mailboxId: inbox, uids: [1, 2], to: 'Kept' });
      await until(() => kept.view.modseq === copied.change!.status.highestModseq, 'COPY reached Kept');
      assert.deepEqual(kept.view.flush(true).filter((u) => u.kind === 'exists'), [{ kind: 'exists', count: 2 }]);

      const moved = await one.call('message.move', { token, mailboxId: inbox, uids: [6, 7], to: 'Kept' });
      await until(() => view.modseq === moved.sourceModseq && kept.view.modseq === moved.destinationChange!.status.highestModseq, 'MOVE reached both');
      // UIDs 4 and 5 are gone: 6 and 7 are at 4 and 5 (highest first).
      assert.deepEqual(
        view.flush(true).filter((u) => u.kind === 'expunge'),
        [
          { kind: 'expunge', seq: 5 },
          { kind: 'expunge', seq: 4 },
        ],
      );
      assert.deepEqual(kept.view.flush(true).filter((u) => u.kind === 'exists'), [{ kind: 'exists', count: 4 }]);
      assert.equal(cache2.reads, reads, 'no store read for either mailbox');
      stopKept();
    });

    it('a hint whose chain does not follow (a commit missed) still reads the log', async () => {
      const view = session.view;
      view.flush(true);
      const reads = cache2.reads;
      // A commit whose hint is lost: process 2 never hears of it.
      await silent.call('message.store', { token, mailboxId: inbox, uids: [8], mode: 'add', flags: ['\\Seen'] });
      const next = await one.call('message.store', { token, mailboxId: inbox, uids: [9], mode: 'add', flags: ['\\Seen'] });
      await until(() => view.modseq === next.modseq, 'the log read brought both');
      assert.equal(cache2.reads, reads + 1, 'one log read');
      const fetched = view.flush(true).filter((u) => u.kind === 'fetch').map((u) => (u as { uid: number }).uid);
      assert.deepEqual(fetched, [8, 9]);
      // Back on the chain: the next hint's change is taken again.
      const later = await one.call('message.store', { token, mailboxId: inbox, uids: [11], mode: 'add', flags: ['\\Seen'] });
      await until(() => view.modseq === later.modseq, 'the next STORE reached the view');
      assert.equal(cache2.reads, reads + 1, 'no further read');
    });

    it('a change too big to travel (over 8 KiB as JSON) is a plain hint: the log is read', async () => {
      const view = session.view;
      view.flush(true);
      const reads = cache2.reads;
      const keywords = ['a', 'b', 'c'].map((c) => c.repeat(250));
      const uids = Array.from({ length: view.count }, (_, i) => view.uidAt(i));
      // What goes over Redis, as another subscriber hears it.
      const listener = new Redis(redis.url);
      const payloads: string[] = [];
      listener.on('message', (_channel: string, payload: string) => payloads.push(payload));
      await listener.subscribe(hintChannel(inbox));
      try {
        const stored = await one.call('message.store', { token, mailboxId: inbox, uids, mode: 'add', flags: keywords });
        assert.ok(JSON.stringify(stored.change).length > 8 * 1024, 'the change is over the limit');
        await until(() => view.modseq === stored.modseq, 'the big STORE reached the view');
        assert.equal(cache2.reads, reads + 1, 'one log read');
        assert.equal(view.flush(true).filter((u) => u.kind === 'fetch').length, uids.length);
        const small = await one.call('message.store', { token, mailboxId: inbox, uids: [uids[0]!], mode: 'remove', flags: [keywords[0]!] });
        await until(() => view.modseq === small.modseq, 'the small STORE reached the view');
        assert.equal(cache2.reads, reads + 1, 'the small change after it travelled: no read');
        await until(() => payloads.length >= 2, 'both payloads heard');
        assert.match(payloads[0]!, new RegExp(`^[0-9a-f-]{36} ${stored.modseq}$`), 'the big one went plain');
        assert.match(payloads[1]!, new RegExp(`^[0-9a-f-]{36}\\|\\{.* ${small.modseq}$`), 'the small one with its change');
      } finally {
        listener.disconnect();
      }
    });

    it('a malformed change is ignored safely: the hint stays and the log decides', async () => {
      const view = session.view;
      view.flush(true);
      const reads = cache2.reads;
      const raw = new Redis(redis.url);
      try {
        // At the MODSEQ everyone holds: garbage in the change part costs nothing and throws nothing.
        await raw.publish(hintChannel(inbox), `someone|{not json ${view.modseq}`);
        // A real commit nobody hinted, then a hint for it whose change lies (columns of different lengths): the
        // change is dropped, the hint kept, and the log read brings the truth.
        const real = await silent.call('message.store', { token, mailboxId: inbox, uids: [10], mode: 'add', flags: ['\\Answered'] });
        const lie = {
          entries: [{ modseq: real.modseq, op: 'F', by: 'x', uids: [10, 11], flags: [0], keywords: [[]] }],
          status: { ...real.change!.status },
        };
        await raw.publish(hintChannel(inbox), `someone|${JSON.stringify(lie)} ${real.modseq}`);
        await until(() => view.modseq === real.modseq, 'the log read brought the real commit');
        assert.equal(cache2.reads, reads + 1, 'one log read (the garbage at the held MODSEQ read nothing)');
        const fetched = view.flush(true).filter((u) => u.kind === 'fetch');
        assert.deepEqual(fetched.map((u) => (u as { uid: number }).uid), [10]);
        assert.ok((fetched[0] as { flags: string[] }).flags.includes('\\Answered'));
        // A well-formed change from another publisher, built as hintPayload builds it: taken, no read.
        const next = await silent.call('message.store', { token, mailboxId: inbox, uids: [12], mode: 'add', flags: ['\\Answered'] });
        await raw.publish(hintChannel(inbox), hintPayload('someone', { mailboxId: inbox, modseq: next.modseq, change: next.change! }));
        await until(() => view.modseq === next.modseq, 'the raw hint with its change reached the view');
        assert.equal(cache2.reads, reads + 1, 'taken from the payload');
        assert.deepEqual(view.flush(true).filter((u) => u.kind === 'fetch').map((u) => (u as { uid: number }).uid), [12]);
      } finally {
        raw.disconnect();
      }
    });
  });
}
