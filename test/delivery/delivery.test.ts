// The delivery core on both real backends: recipients resolved (login, alias, unknown), trace headers in front of
// the untouched original bytes, one blob per recipient under its owner prefix, hard quota by the transaction, and
// idempotency per (message id, recipient) — also when two deliveries of one message race.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backends, type TestBackend } from '../backends.js';
import { addUser, type UserSummary } from '../../src/mailstore/directory.js';
import { deliver, type DeliveryOutcome } from '../../src/mailstore/delivery.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import { issueAgentToken } from '../../src/mailstore/delivery-agent.js';
import { blobKeys, keys } from '../../src/mailstore/keys.js';
import type { EmailId } from '../../src/mailstore/ids.js';

const original = Buffer.from(
  'From: Sender <sender@example.org>\r\nTo: many@example.com\r\nSubject: Delivery test\r\n' +
    'Message-ID: <delivery-1@example.org>\r\n\r\nHello,\r\n\r\nbytes kept exactly: \t trailing space \r\n',
);

async function readBlob(b: TestBackend, key: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of await b.blob.get(key)) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

for (const backend of backends) {
  describe(`delivery on ${backend.name}`, () => {
    let b: TestBackend;
    let client: MailStoreClient;
    let alice: UserSummary;
    let bob: UserSummary;
    let full: UserSummary;
    const tokens: Record<string, string> = {};

    before(async () => {
      b = await backend.open();
      client = new MailStoreClient(new InlineInvoker(b.ctx), b.blob);
      alice = await addUser(b.ctx, 'alice@example.com', 'pw-alice');
      bob = await addUser(b.ctx, 'bob@example.com', 'pw-bob');
      full = await addUser(b.ctx, 'full@example.com', 'pw-full');
      await b.kv.update('mail', keys.user(full.userId), { set: { quotaBytes: 100 } });
      // An alias item as issue 4 will write it: postmaster@ delivers to bob.
      await b.kv.put('mail', { ...keys.alias('postmaster@example.com'), tenantId: bob.tenantId, userId: bob.userId, login: bob.login });
      for (const u of ['alice', 'bob', 'full']) tokens[u] = (await client.login(`${u}@example.com`, `pw-${u}`)).token;
    });
    after(async () => b.close());

    const request = (recipients: string[], messageId: string) => ({
      raw: original,
      sender: 'bounces@example.org',
      recipients,
      messageId,
      trace: { protocol: 'LMTP', from: 'mx.example.org', remoteAddress: '127.0.0.1', by: 'stratus.test', id: 'T1' },
      receivedAt: Date.UTC(2025, 2, 4, 9, 5, 7),
    });

    it('delivers per recipient: stored, unknown, over quota; the stored bytes are the trace headers + the original', async () => {
      const outcomes = await deliver(b.ctx, request(['Alice@Example.com', 'nobody@example.com', 'full@example.com'], 'm-1'));
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['delivered', 'unknown-user', 'over-quota'],
      );
      const first = outcomes[0] as Extract<DeliveryOutcome, { status: 'delivered' }>;
      assert.equal(first.uid, 1);
      assert.equal(first.duplicate, false);

      const opened = await client.call('mailbox.open', { token: tokens.alice!, path: 'INBOX' });
      assert.deepEqual(opened.messages.uids, [1]);
      const emailId = opened.messages.emailIds[0]! as EmailId;
      const stored = await readBlob(b, blobKeys.message(alice.tenantId, alice.userId, emailId));
      assert.equal(opened.messages.sizes[0], stored.length);
      const text = stored.toString('utf8');
      assert.match(
        text,
        /^Return-Path: <bounces@example\.org>\r\nDelivered-To: Alice@Example\.com\r\nReceived: from mx\.example\.org \(\[127\.0\.0\.1\]\)\r\n\tby stratus\.test \(Stratus\) with LMTP id T1\r\n\tfor <Alice@Example\.com>; Tue, 04 Mar 2025 09:05:07 \+0000\r\n/,
      );
      assert.ok(stored.subarray(stored.length - original.length).equals(original), 'original bytes kept exactly');
      // The cold item indexes the stored message (its envelope is the original's).
      const meta = await client.call('message.meta', { token: tokens.alice!, emailIds: [emailId] });
      assert.equal(meta.items[emailId]?.env.subject, 'Delivery test');
      assert.equal(meta.items[emailId]?.size, stored.length);

      const fullInbox = await client.call('mailbox.status', { token: tokens.full!, path: 'INBOX' });
      assert.equal(fullInbox.messages, 0);
    });

    it('admits exactly one of two concurrent deliveries under a one-message quota (the transaction decides)', async () => {
      // Both deliveries may pass the early check (usage 0); only the usage condition in the commit keeps quota hard.
      const tight = await addUser(b.ctx, 'tight@example.com', 'pw-tight');
      await b.kv.update('mail', keys.user(tight.userId), { set: { quotaMessages: 1 } });
      const results = await Promise.all([deliver(b.ctx, request(['tight@example.com'], 'q-1')), deliver(b.ctx, request(['tight@example.com'], 'q-2'))]);
      assert.deepEqual(results.map((r) => r[0]!.status).sort(), ['delivered', 'over-quota']);
      const user = await b.kv.get('mail', keys.user(tight.userId), { consistent: true });
      assert.equal(user?.usageMessages, 1);
    });

    it('does not store a retried delivery twice, and answers with the same UID', async () => {
      const again = await deliver(b.ctx, request(['alice@example.com', 'full@example.com'], 'm-1'));
      const first = again[0] as Extract<DeliveryOutcome, { status: 'delivered' }>;
      assert.equal(first.status, 'delivered');
      assert.equal(first.uid, 1);
      assert.equal(first.duplicate, true);
      const status = await client.call('mailbox.status', { token: tokens.alice!, path: 'INBOX' });
      assert.equal(status.messages, 1);
    });

    it('delivers to an alias and stores one copy when two deliveries of one message race', async () => {
      const [x, y] = await Promise.all([
        deliver(b.ctx, request(['postmaster@example.com'], 'race-1')),
        deliver(b.ctx, request(['postmaster@example.com'], 'race-1')),
      ]);
      const a = x[0] as Extract<DeliveryOutcome, { status: 'delivered' }>;
      const c = y[0] as Extract<DeliveryOutcome, { status: 'delivered' }>;
      assert.equal(a.status, 'delivered');
      assert.equal(c.status, 'delivered');
      assert.equal(a.uid, c.uid);
      assert.equal([a.duplicate, c.duplicate].filter(Boolean).length, 1);
      const status = await client.call('mailbox.status', { token: tokens.bob!, path: 'INBOX' });
      assert.equal(status.messages, 1);
      assert.equal((await b.kv.get('mail', keys.user(bob.userId), { consistent: true }))?.usageMessages, 1);
    });

    it('serves deliver.* only to a delivery agent, and a user token never delivers', async () => {
      const agent = issueAgentToken(b.ctx.tokenKey, 'test');
      const known = await client.call('deliver.resolve', { token: agent, addresses: ['bob@example.com', 'ghost@example.com'] });
      assert.deepEqual(known.known, [true, false]);
      await assert.rejects(client.call('deliver.resolve', { token: tokens.alice!, addresses: ['bob@example.com'] }), { code: 'NOPERM' });
      await assert.rejects(client.call('mailbox.list', { token: agent }), { code: 'UNAUTHORIZED' });
      const staged = await client.deliver(agent, original, {
        sender: '',
        recipients: ['bob@example.com'],
        trace: { protocol: 'LMTP', from: 'mx' },
      });
      assert.equal(staged.outcomes[0]!.status, 'delivered');
      await assert.rejects(
        client.call('deliver.message', {
          token: agent,
          stagingKey: blobKeys.message(alice.tenantId, alice.userId, 'X' as EmailId),
          size: 1,
          sender: '',
          recipients: ['bob@example.com'],
          trace: { protocol: 'LMTP', from: 'mx' },
        }),
        { code: 'BADREQUEST' },
      );
    });
  });
}
