// Dependency faults (issue 9 item 2) on both real backends: the ports wrapped in the fault injector and the retry
// layer exactly as `stratus serve` stacks them with STRATUS_FAULTS. With faults on, APPEND / STORE / EXPUNGE either
// succeed exactly once or fail cleanly with UNAVAILABLE; the invariants hold throughout, and with faults off again
// everything works.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { backends, type TestBackend } from '../backends.js';
import { addUser } from '../../src/mailstore/directory.js';
import { InlineInvoker } from '../../src/mailstore/invoker.js';
import { MailStoreClient } from '../../src/mailstore/client.js';
import { MailStoreError } from '../../src/mailstore/errors.js';
import type { StoreContext } from '../../src/mailstore/context.js';
import { FaultInjector, FaultyBlob, FaultyKv, parseFaultSpec, type FaultSpec } from '../../src/storage/faulty.js';
import { RetryingBlob, RetryingKv, type RetryPolicy } from '../../src/storage/retrying.js';
import { fsck } from '../../src/mailstore/fsck.js';
import { appliedOnce } from './applied-once.js';

const FAST: RetryPolicy = { attempts: 4, baseMs: 1, capMs: 5 };
const HEAVY: FaultSpec = { seed: 9, throttle: 0.08, conflict: 0.08, timeout: 0.08, unavailable: 0.08, slow: 0.05, slowMs: 2 };

function message(i: number): Buffer {
  return Buffer.from(`From: a@example.org\r\nTo: alice@example.com\r\nSubject: Fault ${i}\r\nMessage-ID: <f${i}@example.org>\r\n\r\nBody ${i}.\r\n`);
}

/** Runs a store call; a fault that outlasted the retries must surface as UNAVAILABLE, nothing else. */
async function attempt<T>(call: () => Promise<T>): Promise<T | 'unavailable'> {
  try {
    return await call();
  } catch (err) {
    assert.ok(err instanceof MailStoreError, `a fault surfaced as ${String(err)}`);
    assert.equal(err.code, 'UNAVAILABLE', `a fault surfaced as ${err.code}: ${err.message}`);
    return 'unavailable';
  }
}

describe('STRATUS_FAULTS', () => {
  it('parses off, on and explicit probabilities, and refuses nonsense', () => {
    assert.equal(parseFaultSpec(undefined), undefined);
    assert.equal(parseFaultSpec('off'), undefined);
    assert.ok((parseFaultSpec('on')?.throttle ?? 0) > 0);
    assert.deepEqual(parseFaultSpec('seed=7,timeout=0.5,slowMs=30'), { seed: 7, throttle: 0, conflict: 0, timeout: 0.5, unavailable: 0, slow: 0, slowMs: 30 });
    assert.throws(() => parseFaultSpec('timeout=2'));
    assert.throws(() => parseFaultSpec('explode=0.1'));
  });

  it('repeats the same faults for the same seed', async () => {
    const run = async () => {
      const f = new FaultInjector({ ...HEAVY, slow: 0 });
      const seen: string[] = [];
      for (let i = 0; i < 200; i++) seen.push(await f.before('get').then(() => 'ok', (e: Error) => e.name));
      return seen.join(',');
    };
    assert.equal(await run(), await run());
  });
});

for (const backend of backends) {
  describe(`faults on ${backend.name}`, () => {
    let b: TestBackend;
    let faults: FaultInjector;
    let ctx: StoreContext;
    let client: MailStoreClient;
    let token: string;
    let kv: RetryingKv;

    before(async () => {
      b = await backend.open();
      faults = new FaultInjector(HEAVY);
      faults.active = false;
      kv = new RetryingKv(new FaultyKv(b.kv, faults), FAST);
      ctx = { ...b.ctx, kv, blob: new RetryingBlob(new FaultyBlob(b.blob, faults), FAST) };
      client = new MailStoreClient(new InlineInvoker(ctx), ctx.blob);
      await addUser(ctx, 'alice@example.com', 'S3cret!');
      const login = await client.login('alice@example.com', 'S3cret!');
      token = login.token;
    });
    after(async () => b.close());

    it('a transaction whose reply was lost is applied once when retried with its token', async () => {
      const lossy = new FaultInjector({ ...HEAVY, throttle: 0, conflict: 0, unavailable: 0, slow: 0, timeout: 0.5 });
      const store = new RetryingKv(new FaultyKv(b.kv, lossy), { attempts: 20, baseMs: 1, capMs: 2 });
      const key = { pk: 'FAULTS#counter', sk: 'C' };
      await b.kv.put('mail', { ...key, n: 0 });
      for (let i = 0; i < 40; i++) await store.transactWrite([{ type: 'update', table: 'mail', key, update: { add: { n: 1 } } }]);
      assert.ok(lossy.injected.lostReply > 0, 'some replies were lost after the commit');
      assert.equal((await b.kv.get('mail', key, { consistent: true }))?.n, 40);
    });

    it('APPEND, STORE and EXPUNGE under faults succeed exactly once or fail with UNAVAILABLE; invariants hold', async () => {
      const inbox = await client.call('mailbox.open', { token, path: 'INBOX' });
      const mailboxId = inbox.status.mailboxId;
      const acknowledged = new Set<number>();
      faults.active = true;
      for (let i = 0; i < 25; i++) {
        const raw = message(i);
        const res = await attempt(() => client.append(token, 'INBOX', Readable.from([raw]), raw.length, [], Date.now()));
        if (res !== 'unavailable') acknowledged.add(res.uid);
        if (i % 5 === 4 && acknowledged.size > 0) {
          const uids = [...acknowledged].slice(-3);
          await attempt(() => client.call('message.store', { token, mailboxId, uids, mode: 'add', flags: ['\\Seen', '\\Deleted'] }));
          const gone = await attempt(() => client.call('message.expunge', { token, mailboxId, uids }));
          if (gone !== 'unavailable') for (const uid of gone.expunged) acknowledged.delete(uid);
        }
      }
      faults.active = false;
      assert.ok(faults.total() > 20, `faults were injected (${JSON.stringify(faults.injected)})`);
      assert.deepEqual((await fsck(b.ctx, { user: 'alice@example.com' })).violations, []);
      assert.deepEqual(await appliedOnce(b.ctx, { user: 'alice@example.com' }, ['INBOX']), []);
      // Every acknowledged APPEND is there once; an expunge that failed may have left its messages, nothing else.
      const opened = await client.call('mailbox.open', { token, path: 'INBOX' });
      const present = new Set(opened.messages.uids);
      for (const uid of acknowledged) assert.ok(present.has(uid), `acknowledged UID ${uid} is missing`);
    });

    it('gives up with UNAVAILABLE when the store keeps failing, and recovers when the faults stop', async () => {
      const down = new FaultInjector({ ...HEAVY, throttle: 0, conflict: 0, timeout: 0, slow: 0, unavailable: 1 });
      const dctx: StoreContext = { ...b.ctx, kv: new RetryingKv(new FaultyKv(b.kv, down), FAST), blob: new RetryingBlob(new FaultyBlob(b.blob, down), FAST) };
      const dclient = new MailStoreClient(new InlineInvoker(dctx), dctx.blob);
      const raw = message(1000);
      assert.equal(await attempt(() => dclient.append(token, 'INBOX', Readable.from([raw]), raw.length, [], Date.now())), 'unavailable');
      assert.equal(await attempt(() => dclient.call('mailbox.status', { token, path: 'INBOX' })), 'unavailable');
      down.active = false;
      const ok = await dclient.append(token, 'INBOX', Readable.from([raw]), raw.length, [], Date.now());
      assert.ok(ok.uid > 0);
      assert.deepEqual((await fsck(b.ctx, { user: 'alice@example.com' })).violations, []);
    });
  });
}
