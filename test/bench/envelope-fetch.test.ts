// Pins the issue #3 budget of bench/envelope-fetch.ts: `FETCH 1:n (ENVELOPE BODYSTRUCTURE)` makes at most ⌈n/100⌉
// KV reads (one batched cold-item read per 100 messages) and no blob read, so a regression fails CI. The 1,000
// message figure on both backends is in bench/RESULTS.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture } from '../e2e/fixture.js';
import { fillInbox, measureEnvelopeFetch } from '../../bench/envelope-fetch.js';

test('FETCH 1:250 (ENVELOPE BODYSTRUCTURE) costs 3 KV reads (⌈250/100⌉), all batched cold-item reads', async () => {
  const f = await startFixture();
  try {
    await fillInbox(f.port, f.user, f.password, 250);
    const r = await measureEnvelopeFetch(f.port, f.meter, f.user, f.password, 250);
    assert.equal(r.fetched, 250);
    assert.deepEqual(r.counts.byOp, { 'kv.batchGet': 3 });
    assert.ok(r.kvReads <= r.budget);
    assert.equal(r.counts.blob, 0);
  } finally {
    await f.close();
  }
});
