// Issue 4 item 6 on both backends: deleting a user removes every metadata item now and leaves the bodies to the GC
// sweep (a tombstone for its prefix); a delete cut short continues on the next call; disabling a user blocks login
// and delivery (through an alias too) and loses nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { backends, type TestBackend } from '../backends.js';
import { addUser, login } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import { deliver } from '../../src/mailstore/delivery.js';
import { MailStoreError } from '../../src/mailstore/errors.js';
import type { TenantId, UserId } from '../../src/mailstore/ids.js';
import { blobKeys, keys } from '../../src/mailstore/keys.js';
import { queryAll } from '../../src/mailstore/query-all.js';
import { createAlias, deleteUser, updateUser } from '../../src/mailstore/tenants.js';
import { listAllBlobs } from '../../src/mailstore/gc.js';

const raw = (s: string) => Buffer.from(`From: x@example.org\r\nSubject: ${s}\r\nMessage-ID: <${s}@example.org>\r\n\r\n${s}\r\n`);

for (const backend of backends) {
  describe(`deleting and disabling users on ${backend.name}`, () => {
    let b: TestBackend;
    let client: MailStoreClient;

    before(async () => {
      b = await backend.open();
      client = new MailStoreClient(new InlineInvoker(b.ctx), b.blob);
    });
    after(async () => b.close());

    async function user(address: string): Promise<{ token: string; tenantId: TenantId; userId: UserId; mailboxIds: string[] }> {
      await addUser(b.ctx, address, 'pw');
      const l = await client.login(address, 'pw');
      for (const s of ['one', 'two']) {
        const m = raw(`${address}-${s}`);
        await client.append(l.token, 'INBOX', Readable.from([m]), m.length, [], Date.now());
      }
      const { mailboxes } = await client.call('mailbox.list', { token: l.token });
      return { token: l.token, tenantId: l.tenantId as TenantId, userId: l.userId as UserId, mailboxIds: mailboxes.map((m) => m.mailboxId!) };
    }

    async function assertGone(u: { tenantId: TenantId; userId: UserId; mailboxIds: string[] }, address: string): Promise<void> {
      assert.deepEqual(await queryAll(b.ctx, `U#${u.userId}`, ''), [], 'no item of the user partition');
      for (const id of u.mailboxIds) assert.deepEqual(await queryAll(b.ctx, `M#${id}`, ''), [], 'no item of its mailboxes');
      assert.equal(await b.kv.get('mail', keys.login(address), { consistent: true }), undefined, 'no login');
      assert.equal(await b.kv.get('mail', keys.tenantUser(u.tenantId, u.userId), { consistent: true }), undefined, 'not in the tenant');
      assert.ok(await b.kv.get('mail', keys.gcPrefix(blobKeys.userPrefix(u.tenantId, u.userId)), { consistent: true }), 'GC tombstone');
      assert.equal((await listAllBlobs(b.ctx, blobKeys.userPrefix(u.tenantId, u.userId))).length, 2, 'bodies wait for the sweep');
    }

    it('removes every metadata item of a deleted user, and a second delete finds nothing', async () => {
      const u = await user('del@example.com');
      await createAlias(b.ctx, u.tenantId, 'del-alias@example.com', 'del@example.com');
      const before = await b.kv.get('mail', keys.tenant(u.tenantId), { consistent: true });
      await deleteUser(b.ctx, u.tenantId, 'del@example.com');
      await assertGone(u, 'del@example.com');
      assert.equal(await b.kv.get('mail', keys.alias('del-alias@example.com'), { consistent: true }), undefined, 'no alias');
      const afterDelete = await b.kv.get('mail', keys.tenant(u.tenantId), { consistent: true });
      assert.equal(afterDelete?.userCount, (before?.userCount as number) - 1);
      await assert.rejects(deleteUser(b.ctx, u.tenantId, 'del@example.com'), (e: unknown) => e instanceof MailStoreError && e.code === 'NONEXISTENT');
      assert.equal((await b.kv.get('mail', keys.tenant(u.tenantId), { consistent: true }))?.userCount, afterDelete?.userCount, 'counted once');
      await assert.rejects(login(b.ctx, 'del@example.com', 'pw'), (e: unknown) => e instanceof MailStoreError);
      // The old session can no longer write: its mailboxes are closed.
      const m = raw('late');
      await assert.rejects(client.append(u.token, 'INBOX', Readable.from([m]), m.length, [], Date.now()));
    });

    it('a delete cut short after its first steps is finished by the next call', async () => {
      const u = await user('cut@example.com');
      // The first steps of deleteUser, then a crash: the login is marked deleting and the user item is gone.
      await b.kv.update('mail', keys.login('cut@example.com'), { set: { status: 'deleting', deletingQuotaBytes: 0, deletingQuotaMessages: 0 } });
      await b.kv.delete('mail', keys.user(u.userId));
      await assert.rejects(login(b.ctx, 'cut@example.com', 'pw'), 'no login while being deleted');
      await deleteUser(b.ctx, u.tenantId, 'cut@example.com');
      await assertGone(u, 'cut@example.com');
    });

    it('a disabled user cannot log in or receive mail, directly or through an alias, and keeps its messages', async () => {
      const u = await user('off@example.com');
      await createAlias(b.ctx, u.tenantId, 'off-alias@example.com', 'off@example.com');
      await updateUser(b.ctx, u.tenantId, 'off@example.com', { status: 'disabled' });
      await assert.rejects(login(b.ctx, 'off@example.com', 'pw'), (e: unknown) => e instanceof MailStoreError && e.code === 'AUTHENTICATIONFAILED');
      const request = (id: string, to: string) => ({ raw: raw(id), sender: 'x@example.org', recipients: [to], messageId: id, trace: { protocol: 'LMTP', from: 'test' } });
      assert.deepEqual((await deliver(b.ctx, request('d1', 'off@example.com'))).map((o) => o.status), ['unknown-user']);
      assert.deepEqual((await deliver(b.ctx, request('d2', 'off-alias@example.com'))).map((o) => o.status), ['unknown-user']);

      await updateUser(b.ctx, u.tenantId, 'off@example.com', { status: 'active' });
      const l = await client.login('off@example.com', 'pw');
      assert.deepEqual((await deliver(b.ctx, request('d3', 'off-alias@example.com'))).map((o) => o.status), ['delivered']);
      const inbox = await client.call('mailbox.open', { token: l.token, path: 'INBOX' });
      assert.equal(inbox.messages.uids.length, 3, 'the two messages from before and the one delivered after');
    });
  });
}
