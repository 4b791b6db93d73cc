// APPEND whose transaction committed but whose reply was lost (issue 9), on both backends, with the retry layer as
// `stratus serve` stacks it. A single-mailbox commit (src/mailstore/commit.ts commitOnce) recognises its own
// change-log item by the attempt's token; when even that read fails, the outcome stays unknown until the store
// answers again and is settled before planning again — otherwise the retry would store the message a second time.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { backends, type TestBackend } from '../backends.js';
import { addUser } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import type { StoreContext } from '../../src/mailstore/context.js';
import { fsck } from '../../src/mailstore/fsck.js';
import { FaultInjector, FaultyBlob, FaultyKv, NO_FAULTS } from '../../src/storage/faulty.js';
import type { TxAction } from '../../src/storage/kv.js';
import { RetryingBlob, RetryingKv, type RetryPolicy } from '../../src/storage/retrying.js';
import { appliedOnce } from './applied-once.js';

const FAST: RetryPolicy = { attempts: 4, baseMs: 1, capMs: 5 };
const LOGIN = 'appender@example.com';

/** APPEND's transaction, and only it: one change-log put and META's uidNext moved. */
const isAppend = (actions: TxAction[]): boolean =>
  actions.filter((a) => a.type === 'put' && a.item.sk.startsWith('L#')).length === 1 &&
  actions.some((a) => a.type === 'update' && (a.update.add?.uidNext ?? 0) > 0);

for (const backend of backends) {
  describe(`APPEND with a lost reply on ${backend.name}`, () => {
    let b: TestBackend;
    let faults: FaultInjector;
    let client: MailStoreClient;
    let token: string;
    let next = 0;

    before(async () => {
      b = await backend.open();
      faults = new FaultInjector({ ...NO_FAULTS, seed: 5 });
      const ctx: StoreContext = { ...b.ctx, kv: new RetryingKv(new FaultyKv(b.kv, faults), FAST), blob: new RetryingBlob(new FaultyBlob(b.blob, faults), FAST) };
      client = new MailStoreClient(new InlineInvoker(ctx), ctx.blob);
      await addUser(b.ctx, LOGIN, 'pw');
      token = (await client.login(LOGIN, 'pw')).token;
    });
    after(async () => b.close());

    const status = async () => (await client.call('mailbox.open', { token, path: 'INBOX' })).status;

    async function appendWithLostReply(thenFail: number): Promise<void> {
      const before = await status();
      const lost = faults.injected.lostReply;
      faults.loseReplies(1, isAppend, thenFail);
      const raw = Buffer.from(`From: a@example.org\r\nSubject: Append ${next}\r\nMessage-ID: <append${next++}@example.org>\r\n\r\nBody.\r\n`);
      const appended = await client.append(token, 'INBOX', Readable.from([raw]), raw.length, [], Date.now());
      assert.equal(faults.injected.lostReply, lost + 1, 'the APPEND transaction committed and its reply was lost');
      // Reported as done with the UID it got, and applied once: one commit, one message more.
      assert.equal(appended.uid, before.uidNext);
      const after = await status();
      assert.equal(after.messages, before.messages + 1);
      assert.equal(after.uidNext, before.uidNext + 1);
      assert.equal(after.highestModseq, before.highestModseq + 1);
      assert.deepEqual((await fsck(b.ctx, { user: LOGIN })).violations, []);
      assert.deepEqual(await appliedOnce(b.ctx, { user: LOGIN }, ['INBOX']), []);
    }

    it('is recognised when the retry layer replays the transaction with its token', async () => {
      await appendWithLostReply(0);
    });

    it('is recognised by its log item when the outage outlasts the retry layer', async () => {
      await appendWithLostReply(FAST.attempts - 1);
    });

    it('is recognised on the next attempt when even the log read fails', async () => {
      await appendWithLostReply(FAST.attempts - 1 + FAST.attempts);
    });
  });
}
