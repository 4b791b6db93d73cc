// Call budgets per command (storage-design §C6), counted at the ports — calls and bytes, never time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallMeter } from '../../src/storage/metered.js';
import { startFixture } from './fixture.js';
import { RawClient } from './raw-client.js';
import { multipartMessage, simpleMessage } from './sample-messages.js';
import { addUser } from '../../src/mailstore/directory.js';

test('FETCH of view items costs nothing; a partial of one part is one small ranged blob read', async () => {
  const fx = await startFixture();
  try {
    const raw = await RawClient.connect(fx.port);
    await raw.command('L', `LOGIN ${fx.user} "${fx.password}"`);
    const big = multipartMessage(2 * 1024 * 1024);
    raw.write(`a1 APPEND INBOX {${big.raw.length}+}\r\n`);
    raw.write(big.raw);
    raw.write('\r\n');
    assert.match(await raw.until((t) => /a1 (OK|NO|BAD)/.test(t)), /^a1 OK/m);
    for (let i = 0; i < 3; i++) {
      const m = simpleMessage({ subject: `small ${i}` });
      await raw.command(`s${i}`, `APPEND INBOX {${Buffer.byteLength(m)}+}\r\n${m}`);
    }
    await raw.command('b', 'SELECT INBOX');

    let before = fx.meter.snapshot();
    const flags = await raw.command('c', 'UID FETCH 1:* (FLAGS UID RFC822.SIZE INTERNALDATE)');
    let used = CallMeter.diff(fx.meter.snapshot(), before);
    assert.equal((flags.match(/\* \d+ FETCH/g) ?? []).length, 4);
    assert.equal(used.kv, 0, `kv calls: ${JSON.stringify(used.byOp)}`);
    assert.equal(used.blob, 0, `blob calls: ${JSON.stringify(used.byOp)}`);

    before = fx.meter.snapshot();
    const partial = await raw.command('d', 'UID FETCH 1 (BODY.PEEK[1]<0.100>)');
    used = CallMeter.diff(fx.meter.snapshot(), before);
    assert.ok(partial.includes(`BODY[1]<0> {100}\r\n${big.part1.subarray(0, 100).toString('latin1')})`));
    assert.equal(used.byOp['blob.get'], 1);
    assert.equal(used.blob, 1);
    assert.ok(used.blobBytesRead <= 4096, `read ${used.blobBytesRead} bytes`);
    assert.ok((used.byOp['kv.batchGet'] ?? 0) <= 2, 'one cold-item read (plus a strong retry at most)');

    // The cold item is cached for the session: the same section again reads no KV.
    before = fx.meter.snapshot();
    await raw.command('e', 'UID FETCH 1 (BODY.PEEK[2]<1000.10> ENVELOPE)');
    used = CallMeter.diff(fx.meter.snapshot(), before);
    assert.equal(used.kv, 0);
    assert.equal(used.blob, 1);
    assert.ok(used.blobBytesRead <= 4096);

    // Header search over 4 messages: one batched cold read at most, no blob read.
    before = fx.meter.snapshot();
    assert.match(await raw.command('f', 'SEARCH SUBJECT "small 1"'), /\* SEARCH 3\r\n/);
    used = CallMeter.diff(fx.meter.snapshot(), before);
    assert.equal(used.blob, 0);
    assert.ok((used.byOp['kv.batchGet'] ?? 0) <= 2);
    raw.close();
  } finally {
    await fx.close();
  }
});

// A session's own commit comes back to its process as a change hint before the session has taken in the result;
// the process's mailbox cache looks only after that (mailbox-cache.ts hinted), so the writer's own STORE and UID
// EXPUNGE read no change log (that was META + a log query more). And the store plans them from what the session's
// view holds, checked by the transaction's conditions (store-expunge.ts): no hot-item read either. META and the
// transaction: 2 calls, where there were 5.
for (const backend of ['embedded', 'aws'] as const) {
  test(`own STORE and UID EXPUNGE read no change log; another session of the process still hears of them (${backend})`, async () => {
    const fx = await startFixture({ backend });
    try {
      const raw = await RawClient.connect(fx.port);
      await raw.command('L', `LOGIN ${fx.user} "${fx.password}"`);
      for (let i = 0; i < 3; i++) {
        const m = simpleMessage({ subject: `own ${i}` });
        await raw.command(`a${i}`, `APPEND INBOX {${Buffer.byteLength(m)}+}\r\n${m}`);
      }
      await raw.command('s', 'SELECT INBOX');
      const own = { 'kv.get': 1, 'kv.transactWrite': 1 };
      const settled = () => new Promise((resolve) => setTimeout(resolve, 50)); // a log read would have started by now
      let before = fx.meter.snapshot();
      assert.match(await raw.command('t1', 'UID STORE 1 +FLAGS (\\Seen)'), /\* 1 FETCH \(FLAGS \(\\Seen \\Recent\) UID 1\)/);
      await settled();
      assert.deepEqual(CallMeter.diff(fx.meter.snapshot(), before).byOp, own);
      await raw.command('t2', 'UID STORE 2 +FLAGS.SILENT (\\Deleted)');
      before = fx.meter.snapshot();
      assert.match(await raw.command('t3', 'UID EXPUNGE 2'), /\* 2 EXPUNGE\r\nt3 OK/);
      await settled();
      assert.deepEqual(CallMeter.diff(fx.meter.snapshot(), before).byOp, own);

      // A second session on the mailbox needs the change: one log read for the process, then it is told at NOOP.
      const other = await RawClient.connect(fx.port);
      await other.command('L', `LOGIN ${fx.user} "${fx.password}"`);
      await other.command('s', 'SELECT INBOX');
      before = fx.meter.snapshot();
      await raw.command('t4', 'UID STORE 3 +FLAGS (\\Flagged)');
      await settled();
      const used = CallMeter.diff(fx.meter.snapshot(), before).byOp;
      assert.equal(used['kv.query'], 1, JSON.stringify(used));
      assert.match(await other.command('n', 'NOOP'), /\* 2 FETCH \(UID 3 FLAGS \(\\Flagged\)\)/);
      raw.close();
      other.close();
    } finally {
      await fx.close();
    }
  });
}

test("LIST reads the user's names, subscriptions and share index in one query (and the tenant's two indexes)", async () => {
  const fx = await startFixture();
  try {
    await addUser(fx.ctx, 'bob@example.com', 'pw');
    const bob = await RawClient.connect(fx.port);
    await bob.command('L', 'LOGIN bob@example.com pw');
    await bob.command('C', 'CREATE Team');
    assert.match(await bob.command('A', `SETACL Team ${fx.user} lr`), /^A OK/m);
    bob.close();

    const raw = await RawClient.connect(fx.port);
    await raw.command('L', `LOGIN ${fx.user} "${fx.password}"`);
    await raw.command('C', 'CREATE Work/Projects');
    await raw.command('S1', 'SUBSCRIBE Work/Projects');
    await raw.command('C2', 'CREATE Gone');
    await raw.command('S2', 'SUBSCRIBE Gone');
    await raw.command('D2', 'DELETE Gone'); // the subscription stays (RFC 3501 §6.3.6): \NonExistent
    // Per-user items that sort outside LIST's range (MID# thread lookups of a message with a Message-ID).
    const m = simpleMessage({ subject: 'with an id' });
    await raw.command('a', `APPEND INBOX {${Buffer.byteLength(m)}+}\r\n${m}`);

    const before = fx.meter.snapshot();
    const list = await raw.command('l', 'LIST (SUBSCRIBED) "" "*"');
    const used = CallMeter.diff(fx.meter.snapshot(), before);
    assert.match(list, /\* LIST \(\\HasNoChildren \\Subscribed\) "\/" "Work\/Projects"\r\n/);
    assert.match(list, /\* LIST \(\\NonExistent \\Subscribed\) "\/" "Gone"\r\n/);
    assert.equal(used.byOp['kv.query'], 3, `kv calls: ${JSON.stringify(used.byOp)}`);

    const all = await raw.command('m', 'LIST "" "*"');
    assert.match(all, /\* LIST \([^)]*\) "\/" "Other Users\/bob@example.com\/Team"\r\n/);
    assert.match(all, /\* LIST \(\\HasChildren\) "\/" "Work"\r\n/);
    raw.close();
  } finally {
    await fx.close();
  }
});
