// The blob GC sweep (storage-design §C8, invariant I7) on both backends: it never deletes a referenced body or one
// younger than the grace period, even while APPEND, COPY, MOVE and EXPUNGE run; it does delete old orphans; and the
// prefix of a deleted user is emptied. The race the sweep must survive is forced, not hoped for: right after the
// sweep has scanned its first mailbox (Archive), messages are MOVEd and COPY+EXPUNGEd from INBOX (not yet scanned)
// into Archive. A mark that only pages through the hot items misses them and deletes their bodies; this test fails.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { backends, type TestBackend } from '../backends.js';
import { addUser } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import { newEmailId, type TenantId, type UserId } from '../../src/mailstore/ids.js';
import { blobKeys, keys } from '../../src/mailstore/keys.js';
import { writeColdItem } from '../../src/mailstore/messages.js';
import { queryAll } from '../../src/mailstore/query-all.js';
import { listAllBlobs, sweepDeletedOwners, sweepUser, emailIdOfBlob } from '../../src/mailstore/gc.js';
import { deleteUser } from '../../src/mailstore/tenants.js';

const PASSWORD = 'gc test';

function message(i: number, tag: string): Buffer {
  return Buffer.from(`From: a@example.org\r\nSubject: ${tag} ${i}\r\nMessage-ID: <${tag}.${i}@example.org>\r\n\r\nBody ${tag} ${i}\r\n`);
}

interface User {
  token: string;
  tenantId: TenantId;
  userId: UserId;
}

for (const backend of backends) {
  describe(`blob GC on ${backend.name}`, () => {
    let b: TestBackend;
    let client: MailStoreClient;

    before(async () => {
      b = await backend.open();
      client = new MailStoreClient(new InlineInvoker(b.ctx), b.blob);
    });
    after(async () => b.close());

    async function newUser(login: string): Promise<User> {
      await addUser(b.ctx, login, PASSWORD);
      const l = await client.login(login, PASSWORD);
      return { token: l.token, tenantId: l.tenantId as TenantId, userId: l.userId as UserId };
    }

    const append = (u: User, path: string, raw: Buffer, flags: string[] = []) =>
      client.append(u.token, path, Readable.from([raw]), raw.length, flags, Date.now());

    /** A body that no message references (as a crashed APPEND leaves it: blob and cold item, no commit). */
    async function orphan(u: User, i: number): Promise<string> {
      const emailId = newEmailId();
      const raw = message(i, 'orphan');
      await b.blob.put(blobKeys.message(u.tenantId, u.userId, emailId), raw, raw.length);
      await writeColdItem(b.ctx, u.tenantId, u.userId, emailId, raw);
      return emailId;
    }

    /** Every emailId a hot item of the user references now. */
    async function referenced(u: User): Promise<Set<string>> {
      const out = new Set<string>();
      for (const name of await queryAll(b.ctx, `U#${u.userId}`, 'N#')) {
        for (const item of await queryAll(b.ctx, `M#${String(name.mailboxId)}`, 'U#')) out.add(item.e as string);
      }
      return out;
    }

    const hasBlob = async (u: User, e: string) => (await b.blob.head(blobKeys.message(u.tenantId, u.userId, e as never))) !== undefined;

    it('keeps every referenced and every young body while APPEND, COPY, MOVE and EXPUNGE run; deletes old orphans', async () => {
      const u = await newUser('gc-race@example.com');
      const old: string[] = [];
      for (let i = 0; i < 24; i++) {
        const done = await append(u, 'INBOX', message(i, 'old'));
        old.push(String(done.uid));
      }
      const oldOrphans = [await orphan(u, 1), await orphan(u, 2), await orphan(u, 3)];
      // S3 keeps LastModified to the second: the cutoff sits more than a second after every old body and before
      // every body written from here on. grace 0 with now = cutoff deletes only bodies from before it.
      await sleep(1100);
      const cutoff = Date.now();
      await sleep(1100);
      const youngOrphans = [await orphan(u, 4), await orphan(u, 5)];

      const inbox = (await client.call('mailbox.open', { token: u.token, path: 'INBOX' })).status.mailboxId;
      const archive = (await client.call('mailbox.open', { token: u.token, path: 'Archive' })).status.mailboxId;
      let forced = false;
      const afterMailboxScan = async (mailboxId: string): Promise<void> => {
        if (mailboxId !== archive || forced) return;
        forced = true;
        // INBOX is scanned after Archive: carry old messages across behind the scan's back.
        await client.call('message.move', { token: u.token, mailboxId: inbox, uids: [1, 2, 3, 4], to: 'Archive' });
        await client.call('message.copy', { token: u.token, mailboxId: inbox, uids: [5, 6, 7, 8], to: 'Archive' });
        await client.call('message.store', { token: u.token, mailboxId: inbox, uids: [5, 6, 7, 8], mode: 'add', flags: ['\\Deleted'] });
        await client.call('message.expunge', { token: u.token, mailboxId: inbox, uids: [5, 6, 7, 8] });
      };

      // Writers that keep the user's mailboxes moving for the whole sweep.
      let stop = false;
      let writes = 0;
      const writer = async (w: number): Promise<void> => {
        let n = 0;
        while (!stop) {
          n++;
          const step = n % 4;
          if (step === 0) await append(u, 'Sent', message(n, `w${w}`));
          else if (step === 1) {
            const uids = [9 + ((n + w) % 14)];
            await client.call('message.copy', { token: u.token, mailboxId: inbox, uids, to: 'Trash' });
          } else if (step === 2) {
            const trash = await client.call('mailbox.open', { token: u.token, path: 'Trash' });
            const uids = trash.messages.uids.slice(0, 2);
            if (uids.length > 0) await client.call('message.move', { token: u.token, mailboxId: trash.status.mailboxId, uids, to: 'Junk' });
          } else {
            const junk = await client.call('mailbox.open', { token: u.token, path: 'Junk' });
            const uids = junk.messages.uids.slice(0, 1);
            if (uids.length > 0) {
              await client.call('message.store', { token: u.token, mailboxId: junk.status.mailboxId, uids, mode: 'add', flags: ['\\Deleted'] });
              await client.call('message.expunge', { token: u.token, mailboxId: junk.status.mailboxId, uids });
            }
          }
          writes++;
        }
      };
      const failures: unknown[] = [];
      const writers = [1, 2, 3].map((w) =>
        writer(w).catch((err: unknown) => {
          stop = true;
          failures.push(err);
        }),
      );
      await sleep(50);
      let sweep;
      try {
        sweep = await sweepUser(b.ctx, u.tenantId, u.userId, { graceMs: 0, now: cutoff, afterMailboxScan });
        // A second sweep while the writers still run: the same guarantee, without the forced race.
        await sweepUser(b.ctx, u.tenantId, u.userId, { graceMs: 0, now: cutoff });
      } finally {
        stop = true;
        await Promise.all(writers);
      }
      assert.deepEqual(failures, [], 'every concurrent write succeeded');
      assert.ok(forced, 'the forced race ran');
      assert.ok(writes > 5, `writers ran during the sweep (${writes} writes)`);

      const live = await referenced(u);
      for (const e of live) {
        assert.ok(await hasBlob(u, e), `referenced body ${e} is still there`);
        assert.ok(await b.kv.get('msgmeta', keys.cold(e as never), { consistent: true }), `referenced cold item ${e} is still there`);
      }
      for (const e of youngOrphans) assert.ok(await hasBlob(u, e), 'a body younger than the grace period stays');
      for (const e of oldOrphans) {
        assert.equal(await hasBlob(u, e), false, 'an old orphan is deleted');
        assert.equal(await b.kv.get('msgmeta', keys.cold(e as never), { consistent: true }), undefined, 'with its cold item');
      }
      const deleted = new Set(sweep.orphans.map((o) => o.emailId));
      for (const e of oldOrphans) assert.ok(deleted.has(e));
      for (const e of deleted) assert.ok(!live.has(e), 'nothing deleted is referenced');

      // Every message a client can open still has its bytes.
      for (const path of ['INBOX', 'Archive', 'Trash', 'Junk', 'Sent']) {
        const box = await client.call('mailbox.open', { token: u.token, path });
        for (const e of box.messages.emailIds) assert.ok(await hasBlob(u, e), `${path} message ${e} readable`);
      }
      const remaining = (await listAllBlobs(b.ctx, blobKeys.messagesPrefix(u.tenantId, u.userId))).map((x) => emailIdOfBlob(x.key)!);
      assert.ok(remaining.length >= live.size);
    });

    it('empties a deleted user\'s prefix, also of a body an APPEND wrote after the delete', async () => {
      const u = await newUser('gc-gone@example.com');
      for (let i = 0; i < 3; i++) await append(u, 'INBOX', message(i, 'gone'));
      const keep = await newUser('gc-stays@example.com'); // same tenant? no: own domain; its bodies must stay
      await append(keep, 'INBOX', message(1, 'stays'));
      const before = await listAllBlobs(b.ctx, blobKeys.userPrefix(u.tenantId, u.userId));
      assert.equal(before.length, 3);

      await deleteUser(b.ctx, u.tenantId, 'gc-gone@example.com');
      const tomb = await b.kv.get('mail', keys.gcPrefix(blobKeys.userPrefix(u.tenantId, u.userId)), { consistent: true });
      assert.ok(tomb, 'the delete leaves a GC tombstone for the prefix');
      // A session that outlived the delete uploads a body (its commit would fail: the mailboxes are closed).
      const late = newEmailId();
      await b.blob.put(blobKeys.message(u.tenantId, u.userId, late), message(9, 'late'), message(9, 'late').length);

      const first = await sweepDeletedOwners(b.ctx, { graceMs: 0 });
      const mine = first.find((p) => p.prefix === blobKeys.userPrefix(u.tenantId, u.userId));
      assert.deepEqual(mine && { deleted: mine.deleted, done: mine.done }, { deleted: 4, done: false }, 'swept; the tombstone lingers');
      assert.deepEqual(await listAllBlobs(b.ctx, blobKeys.userPrefix(u.tenantId, u.userId)), []);
      for (const e of before.map((x) => emailIdOfBlob(x.key)!)) {
        assert.equal(await b.kv.get('msgmeta', keys.cold(e), { consistent: true }), undefined, 'cold items go too');
      }
      // Once no session of the user can be alive, the last sweep drops the tombstone.
      const later = await sweepDeletedOwners(b.ctx, { graceMs: 0, now: Date.now() + 13 * 3600 * 1000 });
      assert.equal(later.find((p) => p.prefix === blobKeys.userPrefix(u.tenantId, u.userId))?.done, true);
      assert.equal(await b.kv.get('mail', keys.gcPrefix(blobKeys.userPrefix(u.tenantId, u.userId)), { consistent: true }), undefined);
      const kept = await listAllBlobs(b.ctx, blobKeys.userPrefix(keep.tenantId, keep.userId));
      assert.equal(kept.length, 1, 'another user\'s bodies are untouched');
    });
  });
}
