// `mailbox.claimRecent` (src/mailstore/recent.ts) on both backends: what each claim costs in KV calls (issue #8: META
// and the RECENT floor in one batchGet, then the conditional put — two calls where there were three) and RFC 3501
// §2.3.2's rule that exactly one session sees a message as \Recent, with claims racing each other.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { backends, type TestBackend } from '../backends.js';
import { addUser } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import { MailStoreError } from '../../src/mailstore/errors.js';
import { CallMeter } from '../../src/storage/metered.js';

const PASSWORD = 'recent test';
const msg = (n: number): Buffer => Buffer.from(`From: a@example.org\r\nSubject: recent ${n}\r\n\r\nbody ${n}\r\n`);

for (const backend of backends) {
  describe(`\\Recent claims on ${backend.name}`, () => {
    let b: TestBackend;
    let client: MailStoreClient;
    let token: string;
    let mailboxId: string;

    before(async () => {
      b = await backend.open();
      client = new MailStoreClient(new InlineInvoker(b.ctx), b.blob);
      await addUser(b.ctx, 'r@example.com', PASSWORD);
      token = (await client.login('r@example.com', PASSWORD)).token;
      mailboxId = (await client.call('mailbox.open', { token, path: 'INBOX' })).status.mailboxId;
    });
    after(async () => b.close());

    const append = async (n: number): Promise<number> => {
      const raw = msg(n);
      return (await client.append(token, 'INBOX', Readable.from([raw]), raw.length, [], Date.now())).uid;
    };

    async function claim(upTo: number): Promise<{ won: { from: number; to: number }; byOp: Record<string, number> }> {
      const before = b.meter.snapshot();
      const won = await client.call('mailbox.claimRecent', { token, mailboxId, upTo });
      return { won, byOp: CallMeter.diff(b.meter.snapshot(), before).byOp };
    }

    it('costs one batchGet and one conditional put when it wins, the batchGet alone when nothing is left', async () => {
      await append(1);
      await append(2);
      const first = await claim(3);
      assert.deepEqual(first.won, { from: 1, to: 3 });
      assert.deepEqual(first.byOp, { 'kv.batchGet': 1, 'kv.put': 1 });
      const again = await claim(3);
      assert.deepEqual(again.won, { from: 3, to: 3 }, 'claimed already: nothing is recent for a second session');
      assert.deepEqual(again.byOp, { 'kv.batchGet': 1 });
      // A new message: the floor item exists now, so the put is conditioned on its value.
      const uid = await append(3);
      const next = await claim(uid + 1);
      assert.deepEqual(next.won, { from: 3, to: 4 });
      assert.deepEqual(next.byOp, { 'kv.batchGet': 1, 'kv.put': 1 });
    });

    it('never claims at or above UIDNEXT (META bounds the claim)', async () => {
      const { won } = await claim(1000);
      assert.deepEqual(won, { from: 4, to: 4 });
      const uid = await append(4);
      assert.deepEqual((await claim(1000)).won, { from: uid, to: uid + 1 });
    });

    it('gives each new message to exactly one of many racing claims (RFC 3501 §2.3.2)', async () => {
      const first = (await append(10)) as number;
      for (let i = 11; i < 15; i++) await append(i);
      const upTo = first + 5;
      const results = await Promise.all(Array.from({ length: 8 }, () => client.call('mailbox.claimRecent', { token, mailboxId, upTo })));
      const owners = new Map<number, number>();
      results.forEach((r, session) => {
        for (let uid = r.from; uid < r.to; uid++) {
          assert.equal(owners.get(uid), undefined, `UID ${uid} recent for two sessions`);
          owners.set(uid, session);
        }
      });
      assert.deepEqual([...owners.keys()].sort((x, y) => x - y), [first, first + 1, first + 2, first + 3, first + 4]);
    });

    it('refuses a mailbox that does not exist', async () => {
      await assert.rejects(client.call('mailbox.claimRecent', { token, mailboxId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', upTo: 5 }), (err: unknown) => {
        return err instanceof MailStoreError && err.code === 'NONEXISTENT';
      });
    });
  });
}
