// Hard quota (RFC 9208) enforced in the mail store, on both backends: concurrent appenders never push usage past
// the limit and usage equals the sum of the stored messages' sizes; COPY and CREATE fail OVERQUOTA changing nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { backends } from '../backends.js';
import { callerOf, type Caller, type StoreContext } from '../../src/mailstore/context.js';
import { addUser, login } from '../../src/mailstore/directory.js';
import { appendMessage, copyMessages, prepareAppend } from '../../src/mailstore/messages.js';
import { createMailbox, mailboxStatus } from '../../src/mailstore/mailboxes.js';
import { setUserQuota } from '../../src/mailstore/tenants.js';
import { MailStoreError } from '../../src/mailstore/errors.js';
import { keys } from '../../src/mailstore/keys.js';
import type { TenantId, UserId } from '../../src/mailstore/ids.js';

function message(i: number, pad: number): Buffer {
  return Buffer.from(`From: a@example.org\r\nSubject: m${i}\r\n\r\n${'x'.repeat(pad)}\r\n`);
}

async function append(ctx: StoreContext, caller: Caller, raw: Buffer, path = 'INBOX') {
  const { emailId, blobKey } = prepareAppend(ctx, caller, raw.length);
  await ctx.blob.put(blobKey, Readable.from([raw]), raw.length);
  return appendMessage(ctx, caller, { path, emailId, size: raw.length, flags: [], internalDate: Date.now() });
}

const isOverQuota = (err: unknown): boolean => err instanceof MailStoreError && err.code === 'OVERQUOTA';

for (const backend of backends) {
  test(`quota on ${backend.name}: concurrent appenders, COPY and CREATE`, async () => {
    const b = await backend.open();
    try {
      const ctx = b.ctx;
      const user = await addUser(ctx, 'q@example.com', 'pw');
      const caller = callerOf(ctx, (await login(ctx, 'q@example.com', 'pw')).token);
      const sizes = Array.from({ length: 16 }, (_, i) => message(i, 400 + i * 37));
      const limit = 10 * 1024;
      await setUserQuota(ctx, user.tenantId as TenantId, user.userId as UserId, { bytes: limit, messages: 12 });

      // N concurrent appenders (16 messages of 0.4–1 KiB against 10 KiB): some must be refused, none may overshoot.
      const results = await Promise.allSettled(sizes.map((raw) => append(ctx, caller, raw)));
      const accepted = results.flatMap((r, i) => (r.status === 'fulfilled' ? [sizes[i]!.length] : []));
      for (const r of results) if (r.status === 'rejected') assert.ok(isOverQuota(r.reason), String(r.reason));
      assert.ok(accepted.length > 0 && accepted.length < sizes.length, `accepted ${accepted.length}`);
      const meta = await ctx.kv.get('mail', keys.user(user.userId as UserId), { consistent: true });
      const sum = accepted.reduce((a, n) => a + n, 0);
      assert.equal(meta?.usageBytes, sum, 'usage equals the sum of the stored messages');
      assert.equal(meta?.usageMessages, accepted.length);
      assert.ok(sum <= limit, `usage ${sum} within ${limit}`);
      const inbox = await mailboxStatus(ctx, caller, 'INBOX');
      assert.equal(inbox.messages, accepted.length);
      assert.equal(inbox.bytes, sum);

      // COPY of everything would exceed: NO [OVERQUOTA], the destination unchanged.
      const uids = Array.from({ length: accepted.length }, (_, i) => i + 1);
      await assert.rejects(copyMessages(ctx, caller, { mailboxId: inbox.mailboxId, uids, to: 'Archive' }), isOverQuota);
      assert.equal((await mailboxStatus(ctx, caller, 'Archive')).messages, 0);
      const after = await ctx.kv.get('mail', keys.user(user.userId as UserId), { consistent: true });
      assert.equal(after?.usageBytes, sum);

      // MAILBOX: 6 default mailboxes, limit 7 → one CREATE succeeds, the next (and a nested one) fail.
      await setUserQuota(ctx, user.tenantId as TenantId, user.userId as UserId, { mailboxes: 7 });
      await createMailbox(ctx, caller, 'Projects');
      await assert.rejects(createMailbox(ctx, caller, 'More'), isOverQuota);
      await assert.rejects(createMailbox(ctx, caller, 'A/B'), isOverQuota);
      await assert.rejects(mailboxStatus(ctx, caller, 'More'), (e: unknown) => e instanceof MailStoreError && e.code === 'NONEXISTENT');
      const counted = await ctx.kv.get('mail', keys.user(user.userId as UserId), { consistent: true });
      assert.equal(counted?.mailboxes, 7);
    } finally {
      await b.close();
    }
  });
}
