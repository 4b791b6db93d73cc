// Delivery's first copy written straight to its final key (src/mailstore/delivery-ops.ts, delivery-ticket.ts), on
// both real backends: one PUT and one GET for a single-recipient delivery (no staging object, no HEAD, no delete),
// the stored bytes exactly what the function would have written, nothing visible before the commit, a ticket that
// binds key and recipient, and a copy whose delivery did not commit left to the GC's sweep.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backends, type TestBackend } from '../backends.js';
import { addUser, type UserSummary } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import { issueAgentToken } from '../../src/mailstore/delivery-agent.js';
import { firstCopyHead, type DeliveryOutcome } from '../../src/mailstore/delivery.js';
import { issueStageTicket, verifyStageTicket } from '../../src/mailstore/delivery-ticket.js';
import { listAllBlobs, sweepUser } from '../../src/mailstore/gc.js';
import { blobKeys } from '../../src/mailstore/keys.js';
import type { EmailId } from '../../src/mailstore/ids.js';
import { CallMeter } from '../../src/storage/metered.js';

const original = Buffer.from(
  'From: Sender <sender@example.org>\r\nTo: team@example.com\r\nSubject: First copy\r\n' +
    'Message-ID: <first-copy-1@example.org>\r\n\r\nHello,\r\n\r\nbytes kept exactly.\r\n',
);
const trace = { protocol: 'LMTP', from: 'mx.example.org', remoteAddress: '127.0.0.1', by: 'stratus.test', id: 'S1' };
const receivedAt = Date.UTC(2025, 2, 4, 9, 5, 7);

async function readBlob(b: TestBackend, key: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of await b.blob.get(key)) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

type Delivered = Extract<DeliveryOutcome, { status: 'delivered' }>;

for (const backend of backends) {
  describe(`delivery's first copy at its final key on ${backend.name}`, () => {
    let b: TestBackend;
    let client: MailStoreClient;
    let alice: UserSummary;
    let bob: UserSummary;
    let agent: string;
    const tokens: Record<string, string> = {};

    before(async () => {
      b = await backend.open();
      client = new MailStoreClient(new InlineInvoker(b.ctx), b.blob);
      alice = await addUser(b.ctx, 'alice@example.com', 'pw-alice');
      bob = await addUser(b.ctx, 'bob@example.com', 'pw-bob');
      for (const u of ['alice', 'bob']) tokens[u] = (await client.login(`${u}@example.com`, `pw-${u}`)).token;
      agent = issueAgentToken(b.ctx.tokenKey, 'test');
    });
    after(async () => b.close());

    const inbox = async (user: 'alice' | 'bob') => client.call('mailbox.open', { token: tokens[user]!, path: 'INBOX' });
    const keyOf = (u: UserSummary, emailId: string) => blobKeys.message(u.tenantId, u.userId, emailId as EmailId);

    it('stores a single-recipient delivery with one PUT and one GET, at the key the agent wrote', async () => {
      const before = b.meter.snapshot();
      const { outcomes } = await client.deliver(agent, original, { sender: 'bounces@example.org', recipients: ['Alice@Example.com'], trace, receivedAt });
      const calls = CallMeter.diff(b.meter.snapshot(), before).byOp;
      assert.equal(outcomes[0]!.status, 'delivered');
      // Before: PUT in/<id>.eml, HEAD + GET of it, PUT of the recipient's copy, DELETE of the staging object.
      assert.equal(calls['blob.put'], 1, JSON.stringify(calls));
      assert.equal(calls['blob.get'], 1, JSON.stringify(calls));
      assert.equal(calls['blob.head'] ?? 0, 0, JSON.stringify(calls));
      assert.equal(calls['blob.delete'] ?? 0, 0, JSON.stringify(calls));
      // Marker, user META and the INBOX name item: one batchGet; the login is read once (by deliver.prepare).
      assert.equal(calls['kv.batchGet'], 1, JSON.stringify(calls));
      assert.equal(calls['kv.get'], 2, JSON.stringify(calls)); // the login, then META in the commit
      assert.deepEqual(await listAllBlobs(b.ctx, 'in/'), []);

      const opened = await inbox('alice');
      assert.deepEqual(opened.messages.uids, [1]);
      const stored = await readBlob(b, keyOf(alice, opened.messages.emailIds[0]!));
      const expected = firstCopyHead(original, { sender: 'bounces@example.org', recipients: ['Alice@Example.com'], trace, receivedAt }).head;
      assert.ok(stored.equals(Buffer.concat([expected, original])), 'trace headers for the recipient + the original bytes');
      assert.match(stored.toString('utf8'), /^Return-Path: <bounces@example\.org>\r\nDelivered-To: Alice@Example\.com\r\nReceived: from mx\.example\.org/);
      assert.equal(opened.messages.sizes[0], stored.length);
      const meta = await client.call('message.meta', { token: tokens.alice!, emailIds: [opened.messages.emailIds[0]!] });
      assert.equal(meta.items[opened.messages.emailIds[0]!]?.env.subject, 'First copy');
    });

    it('gives every other recipient its own copy, and falls back to a staging object when the first is unknown', async () => {
      const raw = Buffer.from(original.toString('utf8').replace('first-copy-1', 'first-copy-2'));
      const before = b.meter.snapshot();
      const two = await client.deliver(agent, raw, { sender: '', recipients: ['bob@example.com', 'alice@example.com'], trace, receivedAt });
      const calls = CallMeter.diff(b.meter.snapshot(), before).byOp;
      assert.deepEqual(two.outcomes.map((o) => o.status), ['delivered', 'delivered']);
      assert.equal(calls['blob.put'], 2, JSON.stringify(calls)); // bob's copy by the agent, alice's by the function
      for (const [user, u, name] of [['bob', bob, 'bob@example.com'], ['alice', alice, 'alice@example.com']] as const) {
        const opened = await inbox(user);
        const emailId = opened.messages.emailIds.at(-1)!;
        const text = (await readBlob(b, keyOf(u, emailId))).toString('utf8');
        assert.match(text, new RegExp(`^Return-Path: <>\\r\\nDelivered-To: ${name.replace('.', '\\.')}\\r\\n`));
        assert.ok(text.endsWith(raw.toString('utf8')));
      }

      const raw3 = Buffer.from(original.toString('utf8').replace('first-copy-1', 'first-copy-3'));
      const three = await client.deliver(agent, raw3, { sender: '', recipients: ['ghost@example.com', 'bob@example.com'], trace, receivedAt });
      assert.deepEqual(three.outcomes.map((o) => o.status), ['unknown-user', 'delivered']);
      assert.deepEqual(await listAllBlobs(b.ctx, 'in/'), [], 'the staging object is deleted once delivered');
    });

    it('answers a repeated delivery from the marker; the unused copy is an orphan the GC sweeps after its grace', async () => {
      const first = (await inbox('alice')).messages;
      const again = await client.deliver(agent, original, { sender: 'bounces@example.org', recipients: ['alice@example.com'], trace, receivedAt });
      const outcome = again.outcomes[0] as Delivered;
      assert.equal(outcome.duplicate, true);
      assert.equal(outcome.uid, 1);
      assert.deepEqual((await inbox('alice')).messages.uids, first.uids);
      const blobs = await listAllBlobs(b.ctx, blobKeys.messagesPrefix(alice.tenantId, alice.userId));
      assert.equal(blobs.length, first.uids.length + 1, 'the duplicate left its copy behind, referenced by nothing');

      const young = await sweepUser(b.ctx, alice.tenantId, alice.userId);
      assert.equal(young.orphans.length, 0);
      assert.equal(young.young, 1);
      const later = await sweepUser(b.ctx, alice.tenantId, alice.userId, { now: Date.now() + 2 * 24 * 3600 * 1000 });
      assert.equal(later.orphans.length, 1);
      assert.equal(later.referenced, first.uids.length);
      for (const emailId of first.emailIds) assert.ok((await readBlob(b, keyOf(alice, emailId))).length > 0, 'delivered copies stay');
    });

    it('refuses bytes that are not what it would have written, a ticket for another key or recipient, and a forged one', async () => {
      const count = async () => (await client.call('mailbox.status', { token: tokens.bob!, path: 'INBOX' })).messages;
      const messages = await count();
      const plan = firstCopyHead(original, { sender: 's@example.org', recipients: ['bob@example.com'], trace, receivedAt });
      const prepare = () =>
        client.call('deliver.prepare', { token: agent, size: original.length, stage: { recipient: 'bob@example.com', headBytes: plan.head.length } });
      const request = { token: agent, size: original.length, sender: 's@example.org', recipients: ['bob@example.com'], trace: plan.trace, receivedAt };

      // The message without the trace headers (an agent that ignored the ticket): refused, nothing committed.
      const p1 = await prepare();
      assert.ok(p1.ticket && p1.stagingKey.startsWith(blobKeys.userPrefix(bob.tenantId, bob.userId)), p1.stagingKey);
      await b.blob.put(p1.stagingKey, original, original.length);
      await assert.rejects(client.call('deliver.message', { ...request, stagingKey: p1.stagingKey, ticket: p1.ticket }), { code: 'BADREQUEST' });
      // Other trace fields than the agent wrote with: refused too.
      const p2 = await prepare();
      await b.blob.put(p2.stagingKey, Buffer.concat([plan.head, original]), plan.head.length + original.length);
      await assert.rejects(
        client.call('deliver.message', { ...request, receivedAt: receivedAt + 1000, stagingKey: p2.stagingKey, ticket: p2.ticket }),
        { code: 'BADREQUEST' },
      );
      // The ticket names bob: not usable for alice, nor for another key.
      await assert.rejects(
        client.call('deliver.message', { ...request, recipients: ['alice@example.com'], stagingKey: p2.stagingKey, ticket: p2.ticket }),
        { code: 'BADREQUEST' },
      );
      const aliceKey = keyOf(alice, (await inbox('alice')).messages.emailIds[0]!);
      await assert.rejects(client.call('deliver.message', { ...request, stagingKey: aliceKey, ticket: p2.ticket }), { code: 'BADREQUEST' });
      // A ticket signed with another key, or naming alice's existing message, is not ours.
      const claims = verifyStageTicket(b.ctx.tokenKey, p2.ticket!);
      const forged = issueStageTicket(Buffer.alloc(32, 7), { ...claims, key: aliceKey });
      await assert.rejects(client.call('deliver.message', { ...request, stagingKey: aliceKey, ticket: forged }), { code: 'BADREQUEST' });
      const tampered = p2.ticket!.slice(0, -2) + (p2.ticket!.endsWith('AA') ? 'BB' : 'AA');
      await assert.rejects(client.call('deliver.message', { ...request, stagingKey: p2.stagingKey, ticket: tampered }), { code: 'BADREQUEST' });
      assert.equal(await count(), messages, 'nothing visible');

      // The same staged bytes with the request they were written for: delivered.
      const ok = await client.call('deliver.message', { ...request, stagingKey: p2.stagingKey, ticket: p2.ticket });
      assert.equal(ok.outcomes[0]!.status, 'delivered');
      assert.equal(await count(), messages + 1);
    });

    it('refuses an expired ticket', () => {
      const claims = {
        key: 'k',
        emailId: 'e',
        tenantId: 't',
        userId: 'u',
        login: 'l',
        recipient: 'r@example.com',
        headBytes: 10,
        expiresAt: 1000,
      };
      const ticket = issueStageTicket(b.ctx.tokenKey, claims);
      assert.deepEqual(verifyStageTicket(b.ctx.tokenKey, ticket, 999), claims);
      assert.throws(() => verifyStageTicket(b.ctx.tokenKey, ticket, 1000), { code: 'BADREQUEST' });
    });
  });
}
