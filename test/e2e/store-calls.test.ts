// Call budgets per command (storage-design §C6), counted at the ports — calls and bytes, never time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallMeter } from '../../src/storage/metered.js';
import { startFixture } from './fixture.js';
import { RawClient } from './raw-client.js';
import { multipartMessage, simpleMessage } from './sample-messages.js';

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
