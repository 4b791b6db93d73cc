// The mailbox commit protocol on both real backends, through the JSON invoker exactly as a frontend uses it.
// Invariants from reference/storage-design.md §A8: I1 order, I2 density, I3 visibility, I4 counters.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { backends, type TestBackend } from '../backends.js';
import { addUser } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import type { MailStoreError } from '../../src/mailstore/errors.js';
import { FLAG_DELETED, FLAG_FLAGGED, FLAG_SEEN } from '../../src/mailstore/flags.js';
import type { HotList, MailboxStatus } from '../../src/mailstore/api.js';

function message(i: number, extra = ''): Buffer {
  return Buffer.from(
    `From: Sender ${i} <s${i}@example.org>\r\nTo: alice@example.com\r\nSubject: Message ${i}\r\n` +
      `Date: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <m${i}@example.org>\r\n\r\nBody of message ${i}.${extra}\r\n`,
  );
}

async function append(client: MailStoreClient, token: string, path: string, raw: Buffer, flags: string[] = []) {
  return client.append(token, path, Readable.from([raw]), raw.length, flags, Date.UTC(2024, 0, 2, 3, 4, 5));
}

/** I4: META's counters equal the aggregate over the hot items. */
function assertCounters(status: MailboxStatus, list: HotList): void {
  assert.equal(status.messages, list.uids.length, 'messages counter');
  assert.equal(status.unseen, list.flags.filter((f) => !(f & FLAG_SEEN)).length, 'unseen counter');
  assert.equal(status.deleted, list.flags.filter((f) => f & FLAG_DELETED).length, 'deleted counter');
  assert.equal(status.bytes, list.sizes.reduce((a, b) => a + b, 0), 'bytes counter');
}

for (const backend of backends) {
  describe(`mail store on ${backend.name}`, () => {
    let b: TestBackend;
    let client: MailStoreClient;
    let token: string;

    before(async () => {
      b = await backend.open();
      client = new MailStoreClient(new InlineInvoker(b.ctx), b.blob);
      await addUser(b.ctx, 'alice@example.com', 'S3cret!');
      token = (await client.login('alice@example.com', 'S3cret!')).token;
    });
    after(async () => b.close());

    it('makes INBOX and the special-use mailboxes for a new user', async () => {
      const { mailboxes } = await client.call('mailbox.list', { token });
      assert.deepEqual(
        mailboxes.map((m) => [m.path, m.specialUse]),
        [
          ['Archive', '\\Archive'],
          ['Drafts', '\\Drafts'],
          ['INBOX', null],
          ['Junk', '\\Junk'],
          ['Sent', '\\Sent'],
          ['Trash', '\\Trash'],
        ],
      );
    });

    it('refuses a wrong password and a forged token', async () => {
      await assert.rejects(client.login('alice@example.com', 'wrong'), (e: MailStoreError) => e.code === 'AUTHENTICATIONFAILED');
      await assert.rejects(client.login('nobody@example.com', 'S3cret!'), (e: MailStoreError) => e.code === 'AUTHENTICATIONFAILED');
      const forged = token.slice(0, -2) + (token.endsWith('A') ? 'BB' : 'AA');
      await assert.rejects(client.call('mailbox.list', { token: forged }), (e: MailStoreError) => e.code === 'UNAUTHORIZED');
    });

    it('commits 8 concurrent APPEND streams in UID = MODSEQ = commit order, densely, with exact counters', async () => {
      await client.call('mailbox.create', { token, path: 'Storm' });
      const before = await client.call('mailbox.status', { token, path: 'Storm' });
      const streams = 8;
      const perStream = 6;
      const results = await Promise.all(
        Array.from({ length: streams }, async (_, s) => {
          const mine: { uid: number; modseq: number }[] = [];
          for (let i = 0; i < perStream; i++) {
            const r = await append(client, token, 'Storm', message(s * 100 + i), i % 2 ? ['\\Seen'] : []);
            mine.push({ uid: r.uid, modseq: r.modseq });
          }
          return mine;
        }),
      );
      const all = results.flat();
      assert.equal(new Set(all.map((r) => r.uid)).size, streams * perStream, 'UIDs are unique');
      // I1: ordering by commit (modseq) gives strictly increasing UIDs.
      const byModseq = [...all].sort((x, y) => x.modseq - y.modseq);
      for (let i = 1; i < byModseq.length; i++) assert.ok(byModseq[i]!.uid > byModseq[i - 1]!.uid, 'UID order = commit order');
      // Each stream saw its own UIDs increase too.
      for (const mine of results) for (let i = 1; i < mine.length; i++) assert.ok(mine[i]!.uid > mine[i - 1]!.uid);
      // I2: one log entry per commit, dense from the mailbox's creation modseq.
      const changes = await client.call('mailbox.changes', { token, mailboxId: before.mailboxId, since: before.highestModseq });
      assert.equal(changes.resync, false);
      assert.deepEqual(
        changes.entries.map((e) => e.modseq),
        Array.from({ length: streams * perStream }, (_, i) => before.highestModseq + 1 + i),
      );
      for (const r of all) {
        const entry = changes.entries.find((e) => e.modseq === r.modseq);
        assert.ok(entry && entry.op === 'A' && entry.added.uids[0] === r.uid, `log entry for UID ${r.uid}`);
      }
      const opened = await client.call('mailbox.open', { token, path: 'Storm' });
      assert.equal(opened.status.highestModseq, before.highestModseq + streams * perStream);
      assert.equal(opened.status.uidNext, streams * perStream + 1);
      assert.deepEqual(opened.messages.uids, Array.from({ length: streams * perStream }, (_, i) => i + 1));
      assertCounters(opened.status, opened.messages);
    });

    it('stores flags, expunges, copies, with counters kept exact and the log complete', async () => {
      await client.call('mailbox.create', { token, path: 'Work/Projects' });
      const uids: number[] = [];
      for (let i = 0; i < 5; i++) uids.push((await append(client, token, 'Work/Projects', message(i))).uid);
      const opened = await client.call('mailbox.open', { token, path: 'Work/Projects' });
      const id = opened.status.mailboxId;
      const stored = await client.call('message.store', { token, mailboxId: id, uids: [1, 2, 3], mode: 'add', flags: ['\\Seen', '\\Deleted', 'Work'] });
      assert.deepEqual(stored.changed.map((c) => c.uid), [1, 2, 3]);
      assert.ok(stored.changed.every((c) => c.flags === (FLAG_SEEN | FLAG_DELETED) && c.keywords[0] === 'Work'));
      const again = await client.call('message.store', { token, mailboxId: id, uids: [1], mode: 'add', flags: ['\\Seen'] });
      assert.deepEqual(again.changed, [], 'an unchanged message gets no new MODSEQ');
      // No commit, no MODSEQ: a session takes "its own + 1" as "nothing else happened" (freshness.ts afterOwnWrite).
      assert.equal(again.modseq, 0, 'a STORE that changed nothing names no MODSEQ');
      await client.call('message.store', { token, mailboxId: id, uids: [3], mode: 'remove', flags: ['\\Deleted'] });

      const copied = await client.call('message.copy', { token, mailboxId: id, uids: [1, 2, 4, 99], to: 'INBOX' });
      assert.deepEqual(copied.source, [1, 2, 4]);
      assert.equal(copied.destination.length, 3);
      await assert.rejects(
        client.call('message.copy', { token, mailboxId: id, uids: [1], to: 'Nope' }),
        (e: MailStoreError) => e.code === 'TRYCREATE',
      );

      const expunged = await client.call('message.expunge', { token, mailboxId: id, uids: [1, 2, 3, 4, 5] });
      assert.deepEqual(expunged.expunged, [1, 2], 'only messages that still carry \\Deleted');
      const after = await client.call('mailbox.open', { token, path: 'Work/Projects' });
      assert.deepEqual(after.messages.uids, [3, 4, 5]);
      assertCounters(after.status, after.messages);
      assert.deepEqual(after.status.keywords, ['Work']);
      const inbox = await client.call('mailbox.open', { token, path: 'INBOX' });
      assertCounters(inbox.status, inbox.messages);

      // A frontend that opened before all this catches up from the log alone.
      const log = await client.call('mailbox.changes', { token, mailboxId: id, since: opened.status.highestModseq });
      assert.deepEqual(log.entries.map((e) => e.op), ['F', 'F', 'X']);
    });

    it('plans STORE and EXPUNGE from what the frontend holds, and a stale or false claim only costs a re-plan', async () => {
      await client.call('mailbox.create', { token, path: 'Known' });
      for (let i = 0; i < 4; i++) await append(client, token, 'Known', message(i));
      const opened = await client.call('mailbox.open', { token, path: 'Known' });
      const id = opened.status.mailboxId;
      const m = opened.messages;
      let batchGets = 0;
      const batchGet = b.ctx.kv.batchGet.bind(b.ctx.kv);
      b.ctx.kv.batchGet = (...args) => {
        batchGets++;
        return batchGet(...args);
      };
      try {
        // True: no hot-item read at all.
        const seen = await client.call('message.store', {
          token, mailboxId: id, uids: [1], mode: 'add', flags: ['\\Seen'],
          known: { flags: [m.flags[0]!], keywords: [m.keywords[0]!], modseqs: [m.modseqs[0]!] },
        });
        assert.deepEqual(seen.changed.map((c) => [c.uid, c.flags]), [[1, FLAG_SEEN]]);
        assert.equal(batchGets, 0);
        // Stale (message 1 changed since): the transaction refuses it, the store reads and plans again.
        const stale = await client.call('message.store', {
          token, mailboxId: id, uids: [1], mode: 'add', flags: ['\\Flagged'],
          known: { flags: [m.flags[0]!], keywords: [[]], modseqs: [m.modseqs[0]!] },
        });
        assert.deepEqual(stale.changed.map((c) => [c.uid, c.flags]), [[1, FLAG_SEEN | FLAG_FLAGGED]], 'the \\Seen set meanwhile stays');
        // False flags at the true MODSEQ (would corrupt the unseen counter): refused the same way.
        const now = await client.call('mailbox.open', { token, path: 'Known' });
        await client.call('message.store', {
          token, mailboxId: id, uids: [2], mode: 'add', flags: ['\\Seen', '\\Deleted'],
          known: { flags: [FLAG_SEEN], keywords: [[]], modseqs: [now.messages.modseqs[1]!] },
        });
        // "Unchanged" is never taken from the frontend: it says \Seen is there, the store sets it.
        await client.call('message.store', {
          token, mailboxId: id, uids: [3], mode: 'add', flags: ['\\Seen', '\\Deleted'],
          known: { flags: [FLAG_SEEN | FLAG_DELETED], keywords: [[]], modseqs: [now.messages.modseqs[2]!] },
        });
        const before = await client.call('mailbox.open', { token, path: 'Known' });
        assert.deepEqual(before.messages.flags.slice(1, 3), [FLAG_SEEN | FLAG_DELETED, FLAG_SEEN | FLAG_DELETED]);
        assertCounters(before.status, before.messages);
        // EXPUNGE: a false size (bytes counter, quota) or emailId (the GC's log) fails the transaction; re-planned.
        const i2 = 1;
        const gone = await client.call('message.expunge', {
          token, mailboxId: id, uids: [2, 3],
          known: {
            flags: [before.messages.flags[i2]!, before.messages.flags[i2 + 1]!],
            modseqs: [before.messages.modseqs[i2]!, before.messages.modseqs[i2 + 1]!],
            sizes: [1, before.messages.sizes[i2 + 1]!],
            emailIds: [before.messages.emailIds[i2]!, 'not-its-email-id'],
          },
        });
        assert.deepEqual(gone.expunged, [2, 3]);
        const after = await client.call('mailbox.open', { token, path: 'Known' });
        assertCounters(after.status, after.messages);
        const log = await client.call('mailbox.changes', { token, mailboxId: id, since: before.status.highestModseq });
        assert.deepEqual(log.entries.map((e) => e.op), ['X']);
        // A true claim: no read. (\Deleted set by a true-claim STORE first.)
        batchGets = 0;
        const four = after.messages.uids.indexOf(4);
        const del = await client.call('message.store', {
          token, mailboxId: id, uids: [4], mode: 'add', flags: ['\\Deleted'],
          known: { flags: [after.messages.flags[four]!], keywords: [after.messages.keywords[four]!], modseqs: [after.messages.modseqs[four]!] },
        });
        const x = await client.call('message.expunge', {
          token, mailboxId: id, uids: [4],
          known: { flags: [del.changed[0]!.flags], modseqs: [del.modseq], sizes: [after.messages.sizes[four]!], emailIds: [after.messages.emailIds[four]!] },
        });
        assert.deepEqual(x.expunged, [4]);
        assert.equal(batchGets, 0);
        const last = await client.call('mailbox.open', { token, path: 'Known' });
        assert.deepEqual(last.messages.uids, [1]);
        assertCounters(last.status, last.messages);
      } finally {
        b.ctx.kv.batchGet = batchGet;
      }
    });

    it('keeps ids across RENAME, gives a re-created name a new UIDVALIDITY, and refuses what cannot be', async () => {
      const made = await client.call('mailbox.status', { token, path: 'Work' });
      await client.call('mailbox.rename', { token, from: 'Work', to: 'Jobs/Old' });
      const moved = await client.call('mailbox.status', { token, path: 'Jobs/Old' });
      assert.equal(moved.mailboxId, made.mailboxId);
      const child = await client.call('mailbox.status', { token, path: 'Jobs/Old/Projects' });
      assert.equal(child.messages, 3);
      await assert.rejects(client.call('mailbox.status', { token, path: 'Work' }), (e: MailStoreError) => e.code === 'NONEXISTENT');
      await assert.rejects(client.call('mailbox.create', { token, path: 'Jobs' }), (e: MailStoreError) => e.code === 'ALREADYEXISTS');
      await assert.rejects(client.call('mailbox.delete', { token, path: 'INBOX' }), (e: MailStoreError) => e.code === 'CANNOT');
      await assert.rejects(client.call('mailbox.delete', { token, path: 'Jobs/Old' }), (e: MailStoreError) => e.code === 'CANNOT');

      const old = await client.call('mailbox.status', { token, path: 'Jobs/Old/Projects' });
      await client.call('mailbox.delete', { token, path: 'Jobs/Old/Projects' });
      await client.call('mailbox.create', { token, path: 'Jobs/Old/Projects' });
      const fresh = await client.call('mailbox.status', { token, path: 'Jobs/Old/Projects' });
      assert.ok(fresh.uidValidity > old.uidValidity, 'R5: a new mailbox of the same name never reuses UIDVALIDITY');
      assert.equal(fresh.messages, 0);
      assert.equal(fresh.uidNext, 1);
    });

    it('leaves no message when the bytes never fully arrive', async () => {
      const status = await client.call('mailbox.status', { token, path: 'INBOX' });
      const raw = message(7);
      const short = Readable.from([raw.subarray(0, 10)]);
      await assert.rejects(client.append(token, 'INBOX', short, raw.length, [], Date.now()));
      const after = await client.call('mailbox.status', { token, path: 'INBOX' });
      assert.equal(after.messages, status.messages);
      assert.equal(after.highestModseq, status.highestModseq);
    });

    it('validates requests at the function boundary', async () => {
      const envelope = await new InlineInvoker(b.ctx).invoke('message.store', {
        token,
        mailboxId: 'x',
        uids: [0],
        mode: 'add',
        flags: [],
      });
      assert.equal(envelope.ok, false);
      assert.equal(envelope.ok ? '' : envelope.error.code, 'BADREQUEST');
    });
  });
}
