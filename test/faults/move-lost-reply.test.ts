// MOVE whose transaction committed but whose reply was lost (issue 9), on both backends. MOVE is one transaction over
// two mailboxes (src/mailstore/commit.ts commitMailboxPair): both METAs compare-and-swapped, a change-log item in each.
// The fault injector forces "commit succeeded, reply lost" on exactly that transaction, with the retry layer as
// `stratus serve` stacks it (which replays the idempotency token) and with an outage that outlasts the retry layer
// (so the commit protocol itself must recognise its own log items). Either way the MOVE is reported as done, with
// the UIDs it moved, applied once: each mailbox's MODSEQ moved by exactly one and fsck finds nothing wrong.
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
const LOGIN = 'mover@example.com';

/** MOVE's transaction, and only it: two change-log puts (one per mailbox) in one transaction. */
const isMove = (actions: TxAction[]): boolean =>
  actions.filter((a) => a.type === 'put' && a.item.sk.startsWith('L#')).length === 2;

function message(i: number): Buffer {
  return Buffer.from(`From: a@example.org\r\nSubject: Move ${i}\r\nMessage-ID: <move${i}@example.org>\r\n\r\nBody ${i}.\r\n`);
}

for (const backend of backends) {
  describe(`MOVE with a lost reply on ${backend.name}`, () => {
    let b: TestBackend;
    let faults: FaultInjector;
    let client: MailStoreClient;
    let token: string;
    let inbox: string;
    let next = 0;

    before(async () => {
      b = await backend.open();
      faults = new FaultInjector({ ...NO_FAULTS, seed: 3 });
      const ctx: StoreContext = { ...b.ctx, kv: new RetryingKv(new FaultyKv(b.kv, faults), FAST), blob: new RetryingBlob(new FaultyBlob(b.blob, faults), FAST) };
      client = new MailStoreClient(new InlineInvoker(ctx), ctx.blob);
      await addUser(b.ctx, LOGIN, 'pw');
      token = (await client.login(LOGIN, 'pw')).token;
      await client.call('mailbox.create', { token, path: 'Kept' });
      inbox = (await client.call('mailbox.open', { token, path: 'INBOX' })).status.mailboxId;
    });
    after(async () => b.close());

    const status = async (path: string) => (await client.call('mailbox.open', { token, path })).status;

    /** Appends three messages to INBOX, MOVEs them to Kept with `thenFail` failing calls after the lost reply. */
    async function moveWithLostReply(thenFail: number): Promise<void> {
      const uids: number[] = [];
      for (let i = 0; i < 3; i++) {
        const raw = message(next++);
        uids.push((await client.append(token, 'INBOX', Readable.from([raw]), raw.length, [], Date.now())).uid);
      }
      const [src0, dst0] = [await status('INBOX'), await status('Kept')];
      const lost = faults.injected.lostReply;
      faults.loseReplies(1, isMove, thenFail);
      const moved = await client.call('message.move', { token, mailboxId: inbox, uids, to: 'Kept' });
      assert.equal(faults.injected.lostReply, lost + 1, 'the MOVE transaction committed and its reply was lost');

      // Reported as done, with what it did: the UIDs it moved and the destination UIDs it allocated (COPYUID).
      assert.deepEqual(moved.source, uids);
      assert.deepEqual(moved.destination, [dst0.uidNext, dst0.uidNext + 1, dst0.uidNext + 2]);
      assert.equal(moved.uidValidity, dst0.uidValidity);
      assert.equal(moved.sourceModseq, src0.highestModseq + 1);
      // Applied once: one commit in each mailbox, the messages in Kept once and no longer in INBOX.
      const [src1, dst1] = [await status('INBOX'), await status('Kept')];
      assert.equal(src1.highestModseq, src0.highestModseq + 1);
      assert.equal(dst1.highestModseq, dst0.highestModseq + 1);
      assert.equal(src1.messages, src0.messages - 3);
      assert.equal(dst1.messages, dst0.messages + 3);
      assert.equal(dst1.uidNext, dst0.uidNext + 3);
      const opened = await client.call('mailbox.open', { token, path: 'INBOX' });
      for (const uid of uids) assert.ok(!opened.messages.uids.includes(uid), `UID ${uid} left INBOX`);
      assert.deepEqual((await fsck(b.ctx, { user: LOGIN })).violations, []);
      assert.deepEqual(await appliedOnce(b.ctx, { user: LOGIN }, ['INBOX', 'Kept']), []);
    }

    it('is recognised when the retry layer replays the transaction with its token', async () => {
      await moveWithLostReply(0);
    });

    it('is recognised by its log items when the outage outlasts the retry layer', async () => {
      // The lost reply, then every retry of the transaction fails: the commit protocol sees UNAVAILABLE and reads
      // the two change-log items, which carry its token.
      await moveWithLostReply(FAST.attempts - 1);
    });

    it('is recognised on the next attempt when even the log read fails', async () => {
      // As above, and the log read fails too: the outcome is unknown until the store answers again; the next
      // attempt reads the log items first instead of planning a MOVE of messages that are no longer there.
      await moveWithLostReply(FAST.attempts - 1 + FAST.attempts);
    });
  });
}
