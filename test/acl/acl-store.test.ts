// ACL (RFC 4314) and namespaces (RFC 2342) in the mail store, on both backends: rights evaluation, negative rights,
// the share index behind LIST, a right revoked between a writer's check and its commit (aclVersion), Shared/ and
// tenant isolation with identical local parts and folder names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { backends } from '../backends.js';
import { callerOf, type Caller, type StoreContext } from '../../src/mailstore/context.js';
import { addUser, login } from '../../src/mailstore/directory.js';
import { createUser } from '../../src/mailstore/tenants.js';
import { appendMessage, messageMeta, prepareAppend } from '../../src/mailstore/messages.js';
import { createMailbox, listMailboxes, mailboxStatus, openMailbox } from '../../src/mailstore/mailboxes.js';
import { commitMailbox } from '../../src/mailstore/commit.js';
import { deleteAcl, getAcl, listRights, myRights, setAcl } from '../../src/mailstore/acl-store.js';
import { parseRightsChange, requireRights, rightsOf } from '../../src/mailstore/acl.js';
import { MailStoreError } from '../../src/mailstore/errors.js';
import type { MailboxId, TenantId, UserId } from '../../src/mailstore/ids.js';

const code = (c: string) => (err: unknown) => err instanceof MailStoreError && err.code === c;

async function signIn(ctx: StoreContext, address: string): Promise<Caller> {
  return callerOf(ctx, (await login(ctx, address, 'pw')).token);
}

async function append(ctx: StoreContext, caller: Caller, path: string, flags: string[] = []) {
  const raw = Buffer.from('From: a@example.org\r\nSubject: shared\r\n\r\nhello\r\n');
  const { emailId, blobKey } = prepareAppend(ctx, caller, raw.length);
  await ctx.blob.put(blobKey, Readable.from([raw]), raw.length);
  return appendMessage(ctx, caller, { path, emailId, size: raw.length, flags, internalDate: Date.now() });
}

test('rights text: c and d expand (RFC 4314 §2.1.1), unknown and uppercase rights are refused', () => {
  assert.deepEqual(parseRightsChange('+lrcd'), { mode: 'add', rights: 'lrkxte' });
  assert.deepEqual(parseRightsChange('-w'), { mode: 'remove', rights: 'w' });
  assert.throws(() => parseRightsChange('lrQ'), code('BADREQUEST'));
  assert.throws(() => parseRightsChange('lrq'), code('BADREQUEST'));
  const meta = { owner: 'o', tenant: 't', acl: { 'bob@x': 'lrsw', anyone: 'lri', '-bob@x': 'w', '-anyone': 'i' } };
  const bob = { tenantId: 't' as TenantId, userId: 'b', login: 'bob@x' } as Caller;
  assert.equal(rightsOf(meta, bob), 'lrs', 'union of bob and anyone, minus the negative entries');
  assert.equal(rightsOf(meta, { ...bob, tenantId: 'u' as TenantId }), '', 'another tenant gets nothing');
  assert.equal(rightsOf(meta, { ...bob, userId: 'o' as UserId }), 'lrswipkxtea', 'the owner has every right');
  assert.throws(() => requireRights(meta, bob, 'i'), code('NOPERM'));
  assert.throws(() => requireRights({ ...meta, acl: {} }, bob, 'r'), code('NONEXISTENT'), 'no l, no r: not there');
});

for (const backend of backends) {
  test(`ACL and shared folders on ${backend.name}`, async () => {
    const b = await backend.open();
    try {
      const ctx = b.ctx;
      // Two tenants with identical local parts and folder names.
      const aliceA = await addUser(ctx, 'alice@a.example', 'pw');
      await addUser(ctx, 'bob@a.example', 'pw');
      await addUser(ctx, 'alice@b.example', 'pw');
      await addUser(ctx, 'bob@b.example', 'pw');
      await createUser(ctx, aliceA.tenantId as TenantId, 'admin@a.example', 'pw', { tenantAdmin: true });
      const alice = await signIn(ctx, 'alice@a.example');
      const bob = await signIn(ctx, 'bob@a.example');
      const alice2 = await signIn(ctx, 'alice@b.example');
      const bob2 = await signIn(ctx, 'bob@b.example');
      const admin = await signIn(ctx, 'admin@a.example');
      await createMailbox(ctx, alice, 'Projects');
      await createMailbox(ctx, alice2, 'Projects');
      await append(ctx, alice, 'Projects');

      const shared = 'Other Users/alice@a.example/Projects';
      await assert.rejects(mailboxStatus(ctx, bob, shared), code('NONEXISTENT'), 'not shared yet: does not exist');
      assert.ok(!(await listMailboxes(ctx, bob)).some((e) => e.path.startsWith('Other Users/')));

      // l and r: listed, STATUS and SELECT work; i missing: APPEND refused.
      await setAcl(ctx, alice, 'Projects', 'bob@a.example', 'lr');
      assert.ok((await listMailboxes(ctx, bob)).some((e) => e.path === shared && e.mailboxId !== null));
      assert.equal((await mailboxStatus(ctx, bob, shared)).messages, 1);
      const opened = await openMailbox(ctx, bob, shared);
      assert.equal(opened.rights, 'lr');
      assert.equal(opened.status.path, shared);
      // Cold items of the owner's messages are readable through the shared mailbox.
      const items = await messageMeta(ctx, bob, opened.messages.emailIds);
      assert.equal(Object.keys(items.items).length, 1);
      await assert.rejects(append(ctx, bob, shared), code('NOPERM'));
      assert.deepEqual(await myRights(ctx, bob, shared), { path: shared, rights: 'lr' });
      await assert.rejects(getAcl(ctx, bob, shared), code('NOPERM'), 'GETACL needs a');

      // +i: APPEND lands in alice's mailbox, accounted to alice, \Seen dropped without s (RFC 4314 §4).
      await setAcl(ctx, alice, 'Projects', 'bob@a.example', '+i');
      await append(ctx, bob, shared, ['\\Seen', '\\Flagged']);
      const after = await openMailbox(ctx, alice, 'Projects');
      assert.equal(after.messages.uids.length, 2);
      assert.equal(after.messages.flags[1], 0, 'neither \\Seen (s) nor \\Flagged (w) was granted');
      assert.equal(Object.keys((await messageMeta(ctx, alice, after.messages.emailIds)).items).length, 2);

      // GETACL / LISTRIGHTS / negative rights.
      await setAcl(ctx, alice, 'Projects', 'anyone', 'lrs');
      await setAcl(ctx, alice, 'Projects', '-bob@a.example', 'r');
      assert.equal((await myRights(ctx, bob, shared)).rights, 'lsi', 'negative r removes what anyone grants');
      assert.deepEqual((await getAcl(ctx, alice, 'Projects')).entries, [
        { identifier: 'alice@a.example', rights: 'lrswipkxteacd' },
        { identifier: '-bob@a.example', rights: 'r' },
        { identifier: 'anyone', rights: 'lrs' },
        { identifier: 'bob@a.example', rights: 'lri' },
      ]);
      assert.deepEqual(await listRights(ctx, alice, 'Projects', 'alice@a.example'), {
        path: 'Projects',
        identifier: 'alice@a.example',
        required: 'lrswipkxteacd',
        optional: [],
      });
      await assert.rejects(setAcl(ctx, alice, 'Projects', 'alice@a.example', 'l'), code('CANNOT'), "the owner's rights are fixed");
      await deleteAcl(ctx, alice, 'Projects', '-bob@a.example');

      // A right revoked between a writer's check and its commit: the commit's aclVersion condition fails and the
      // re-plan sees the new ACL.
      const mailboxId = after.status.mailboxId as MailboxId;
      let attempts = 0;
      await assert.rejects(
        commitMailbox(ctx, mailboxId, 'bob-session', async (meta) => {
          attempts++;
          requireRights(meta, bob, 'i');
          if (attempts === 1) await setAcl(ctx, alice, 'Projects', 'bob@a.example', '-i');
          return { actions: [], log: { op: 'F', u: [], f: [], k: [] }, result: undefined };
        }),
        code('NOPERM'),
      );
      assert.equal(attempts, 2, 'the first commit lost on aclVersion, the second plan saw the revoked right');
      assert.equal((await mailboxStatus(ctx, alice, 'Projects')).highestModseq, after.status.highestModseq);

      // Revoking l removes the folder from bob's LIST (the share index item goes with the ACL change).
      await deleteAcl(ctx, alice, 'Projects', 'bob@a.example');
      await deleteAcl(ctx, alice, 'Projects', 'anyone');
      assert.ok(!(await listMailboxes(ctx, bob)).some((e) => e.path.startsWith('Other Users/')));

      // Shared/: tenant admins create top-level ones; users need k on a parent; anyone in the tenant may be granted.
      await assert.rejects(createMailbox(ctx, bob, 'Shared/Team'), code('NOPERM'));
      await createMailbox(ctx, admin, 'Shared/Team');
      await setAcl(ctx, admin, 'Shared/Team', 'anyone', 'lrik');
      assert.ok((await listMailboxes(ctx, bob)).some((e) => e.path === 'Shared/Team'));
      await createMailbox(ctx, bob, 'Shared/Team/Sub');
      assert.equal((await myRights(ctx, bob, 'Shared/Team/Sub')).rights, 'lrikc', 'the child inherits the ACL');
      await append(ctx, bob, 'Shared/Team');

      // Tenant isolation: no identifier, path or listing crosses tenants, whatever the ACL says.
      await setAcl(ctx, alice, 'Projects', 'anyone', 'lrswipkxtea');
      await assert.rejects(setAcl(ctx, alice, 'Projects', 'alice@b.example', 'lr'), code('CANNOT'));
      await assert.rejects(setAcl(ctx, alice2, 'Projects', 'bob@a.example', 'lr'), code('CANNOT'));
      await assert.rejects(mailboxStatus(ctx, alice2, shared), code('NONEXISTENT'));
      await assert.rejects(openMailbox(ctx, bob2, 'Other Users/alice@a.example/Projects'), code('NONEXISTENT'));
      await assert.rejects(append(ctx, bob2, 'Other Users/alice@a.example/Projects'), code('NONEXISTENT'));
      for (const other of [alice2, bob2]) {
        const names = (await listMailboxes(ctx, other)).map((e) => e.path);
        assert.ok(!names.some((p) => p.startsWith('Other Users/') || p.startsWith('Shared/')), names.join(','));
      }
      assert.equal(Object.keys((await messageMeta(ctx, bob2, after.messages.emailIds)).items).length, 0);
      assert.equal((await mailboxStatus(ctx, alice2, 'Projects')).messages, 0, 'same folder name, other tenant: untouched');
    } finally {
      await b.close();
    }
  });
}
