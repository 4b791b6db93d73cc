// The per-user Message-ID → thread lookup (src/mailstore/thread-ids.ts) on both backends, through the mail-store API
// (JSON round trip of the inline invoker): a chain linked by In-Reply-To alone resolves to its first message's
// thread; the lookup item is written in the message's own commit only when a reply needs it; a 95-message
// MULTIAPPEND of replies still fits one transaction (DynamoDB's 100 actions, which SQLite enforces too); and the
// cold item keeps the resolved thread, so a rebuilt cold item (fsck) gets it back from the lookup.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { backends, type TestBackend } from '../backends.js';
import { addUser } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import type { UserId } from '../../src/mailstore/ids.js';
import { queryAll } from '../../src/mailstore/query-all.js';
import { rootKey } from '../../src/mime/index.js';
import { CallMeter } from '../../src/storage/metered.js';

const PASSWORD = 'thread test';
const msg = (id: string, irt?: string): Buffer =>
  Buffer.from(`From: a@example.org\r\nMessage-ID: <${id}>\r\n${irt ? `In-Reply-To: <${irt}>\r\n` : ''}Subject: s\r\n\r\nb\r\n`);

for (const backend of backends) {
  describe(`Message-ID → thread lookup on ${backend.name}`, () => {
    let b: TestBackend;
    let client: MailStoreClient;
    let token: string;
    let userId: UserId;

    before(async () => {
      b = await backend.open();
      client = new MailStoreClient(new InlineInvoker(b.ctx), b.blob);
      await addUser(b.ctx, 't@example.com', PASSWORD);
      const l = await client.login('t@example.com', PASSWORD);
      token = l.token;
      userId = l.userId as UserId;
    });
    after(async () => b.close());

    const append = (raw: Buffer) => client.append(token, 'INBOX', Readable.from([raw]), raw.length, [], Date.now());
    const lookupItems = async () => (await queryAll(b.ctx, `U#${userId}`, 'MID#')).length;

    /** The THREADID key FETCH would show for each emailId (src/imap/wire/object-id.ts). */
    async function threadsOf(emailIds: string[]): Promise<(string | undefined)[]> {
      const { items } = await client.call('message.meta', { token, emailIds });
      return emailIds.map((e) => items[e]?.thread);
    }

    it('resolves an In-Reply-To chain to its first message; only replies get a lookup item', async () => {
      const a = await append(msg('a@x'));
      assert.equal(await lookupItems(), 0, 'a thread’s first message needs no lookup item');
      const before = b.meter.snapshot();
      const bb = await append(msg('b@x', 'a@x'));
      const used = CallMeter.diff(b.meter.snapshot(), before);
      assert.equal(used.byOp['kv.batchGet'], 1, JSON.stringify(used.byOp));
      assert.equal(used.byOp['kv.transactWrite'], 1, JSON.stringify(used.byOp));
      assert.equal(used.byOp['kv.put'], 1, 'only the cold item is a single put; the lookup item rides in the commit');
      const c = await append(msg('c@x', 'b@x'));
      assert.equal(await lookupItems(), 2);
      const opened = await client.call('mailbox.open', { token, path: 'INBOX' });
      const emailIds = opened.messages.emailIds.slice(0, 3);
      // B's own header fields already name A (no stored thread needed); C's name B, so C stores A's thread.
      assert.deepEqual(await threadsOf(emailIds), [undefined, undefined, rootKey('<a@x>')]);
      assert.deepEqual([a.uid, bb.uid, c.uid], [1, 2, 3]);
    });

    it('a 95-message MULTIAPPEND of replies commits in one transaction of at most 100 actions', async () => {
      const raws = Array.from({ length: 95 }, (_, i) => msg(`m${i}@multi`, i === 0 ? 'c@x' : `m${i - 1}@multi`));
      const staged = [];
      for (const raw of raws) {
        staged.push({ emailId: await client.stage(token, Readable.from([raw]), raw.length), size: raw.length, flags: [], internalDate: Date.now() });
      }
      const before = b.meter.snapshot();
      const done = await client.appendStaged(token, 'INBOX', staged);
      const used = CallMeter.diff(b.meter.snapshot(), before);
      assert.equal(done.uids.length, 95);
      assert.equal(used.byOp['kv.transactWrite'], 1);
      assert.equal(used.byOp['kv.batchGet'], 1);
      // Every message of the batch is in A's thread (earlier messages of the batch count as stored) …
      const threads = await threadsOf(staged.map((s) => s.emailId));
      assert.ok(threads.every((t) => t === rootKey('<a@x>')), JSON.stringify(threads.slice(0, 3)));
      // … and the lookup items the transaction had room for were written with it (100 − 95 − META, log, usage).
      assert.equal(await lookupItems(), 2 + 2);
    });
  });
}
