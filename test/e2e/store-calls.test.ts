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
// transaction: 2 calls, where there were 5. The commit's answer carries its log entry (OwnChange), which the writer
// hands to the process's mailbox cache (mailbox-cache.ts committed): other sessions of the process on the mailbox and
// the cache's copy of it take the change from there, so neither they nor the next SELECT read the log for it.
for (const backend of ['embedded', 'aws'] as const) {
  test(`own STORE and UID EXPUNGE read no change log, nor do the process's other sessions or its next SELECT (${backend})`, async () => {
    const fx = await startFixture({ backend });
    try {
      const raw = await RawClient.connect(fx.port);
      await raw.command('L', `LOGIN ${fx.user} "${fx.password}"`);
      for (let i = 0; i < 4; i++) {
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

      // A second session on the mailbox is told of the writer's STORE and EXPUNGE (RFC 3501 §7: FETCH FLAGS and
      // EXPUNGE at its NOOP) from the cache: the whole exchange is the writer's 2 calls per command and the NOOPs'
      // META read each — no log query (there was one per command, with a META read: 2 calls more each).
      const other = await RawClient.connect(fx.port);
      await other.command('L', `LOGIN ${fx.user} "${fx.password}"`);
      await other.command('s', 'SELECT INBOX');
      before = fx.meter.snapshot();
      await raw.command('t4', 'UID STORE 3 +FLAGS (\\Flagged)');
      await settled();
      assert.deepEqual(CallMeter.diff(fx.meter.snapshot(), before).byOp, own);
      assert.match(await other.command('n1', 'NOOP'), /\* 2 FETCH \(UID 3 FLAGS \(\\Flagged\)\)\r\nn1 OK/);
      await raw.command('t5', 'UID STORE 3 +FLAGS.SILENT (\\Deleted)');
      await raw.command('t6', 'UID EXPUNGE 3');
      await settled();
      // The FETCH FLAGS of \\Deleted is dropped with the message (mailbox-view.ts queueExpunge): only the EXPUNGE.
      assert.match(await other.command('n2', 'NOOP'), /^\* 2 EXPUNGE\r\nn2 OK/);
      assert.deepEqual(CallMeter.diff(fx.meter.snapshot(), before).byOp, { 'kv.get': 5, 'kv.transactWrite': 3 });

      // The process's copy of INBOX moved with the commits: a third session's SELECT reads the name, META and the
      // \Recent claim, no log tail (it was one query for the STOREs and EXPUNGEs since the last SELECT).
      const third = await RawClient.connect(fx.port);
      await third.command('L', `LOGIN ${fx.user} "${fx.password}"`);
      before = fx.meter.snapshot();
      const selected = await third.command('s', 'SELECT INBOX');
      assert.match(selected, /\* 2 EXISTS\r\n/);
      const used = CallMeter.diff(fx.meter.snapshot(), before).byOp;
      assert.equal(used['kv.query'] ?? 0, 0, JSON.stringify(used));
      assert.match(await third.command('f', 'FETCH 1:* (UID FLAGS)'), /\* 1 FETCH \(UID 1 FLAGS \(\\Seen\)\)\r\n\* 2 FETCH \(UID 4 FLAGS \(\)\)\r\n/);
      raw.close();
      other.close();
      third.close();
    } finally {
      await fx.close();
    }
  });
}

// MOVE and COPY answer their commits' log entries too (source and destination): the process's other sessions on
// either mailbox are told (EXPUNGE, EXISTS) from the cache, and COPY into the selected mailbox reads no log either.
test("MOVE and COPY hand both mailboxes' changes to the process's other sessions without a log read", async () => {
  const fx = await startFixture();
  try {
    const raw = await RawClient.connect(fx.port);
    await raw.command('L', `LOGIN ${fx.user} "${fx.password}"`);
    for (let i = 0; i < 3; i++) {
      const m = simpleMessage({ subject: `moved ${i}` });
      await raw.command(`a${i}`, `APPEND INBOX {${Buffer.byteLength(m)}+}\r\n${m}`);
    }
    await raw.command('c', 'CREATE Archive');
    await raw.command('s', 'SELECT INBOX');
    const other = await RawClient.connect(fx.port);
    await other.command('L', `LOGIN ${fx.user} "${fx.password}"`);
    await other.command('s', 'SELECT INBOX');
    const archive = await RawClient.connect(fx.port);
    await archive.command('L', `LOGIN ${fx.user} "${fx.password}"`);
    assert.match(await archive.command('s', 'SELECT Archive'), /\* 0 EXISTS/);
    const settled = () => new Promise((resolve) => setTimeout(resolve, 50)); // a log read would have started by now

    const before = fx.meter.snapshot();
    assert.match(await raw.command('m', 'UID MOVE 1 Archive'), /\* 1 EXPUNGE\r\nm OK/);
    await settled();
    assert.match(await raw.command('k', 'UID COPY 2 INBOX'), /\* 3 EXISTS\r\n[\s\S]*k OK \[COPYUID \d+ 2 4\]/);
    await settled();
    assert.match(await other.command('n', 'NOOP'), /\* 1 EXPUNGE\r\n\* 3 EXISTS\r\n/);
    assert.match(await archive.command('n', 'NOOP'), /\* 1 EXISTS\r\n/);
    const used = CallMeter.diff(fx.meter.snapshot(), before).byOp;
    assert.equal(used['kv.query'] ?? 0, 0, `no change-log read anywhere: ${JSON.stringify(used)}`);
    assert.match(await archive.command('f', 'UID FETCH 1:* (FLAGS)'), /\* 1 FETCH \(UID 1 FLAGS \(\\Recent\)\)/);
    raw.close();
    other.close();
    archive.close();
  } finally {
    await fx.close();
  }
});

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
