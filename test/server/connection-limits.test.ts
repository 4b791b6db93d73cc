// The command-rate token bucket's synchronous fast path (src/server/connection-limits.ts, issue #8): a connection
// under its rate takes a token with no promise and no timer; only a command over the rate waits, and is counted.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from '../../src/server/connection-limits.js';

describe('TokenBucket.tryTake', () => {
  it('takes the burst synchronously, then refuses until time has refilled a token', () => {
    let now = 0;
    const bucket = new TokenBucket(1000, 3, () => now);
    assert.deepEqual([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()], [true, true, true]);
    assert.equal(bucket.tryTake(), false);
    now += 0.5; // half a token
    assert.equal(bucket.tryTake(), false);
    now += 0.5;
    assert.equal(bucket.tryTake(), true);
    assert.equal(bucket.delayed, 0, 'a refused tryTake is not a delayed command');
  });

  it('never saves more than the burst', () => {
    let now = 0;
    const bucket = new TokenBucket(1000, 2, () => now);
    now += 60_000;
    assert.deepEqual([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()], [true, true, false]);
  });

  it('take() after a refused tryTake waits for the token and counts the delay once', async () => {
    let now = 0;
    const bucket = new TokenBucket(1000, 1, () => now);
    assert.equal(bucket.tryTake(), true);
    assert.equal(bucket.tryTake(), false);
    let taken = false;
    const waiting = bucket.take().then(() => (taken = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(taken, false);
    now += 1;
    await waiting;
    assert.equal(bucket.delayed, 1);
  });

  it('take() with a token there settles without a timer', async () => {
    const bucket = new TokenBucket(1, 1, () => 0);
    let settled = false;
    void bucket.take().then(() => (settled = true));
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(settled, true);
    assert.equal(bucket.delayed, 0);
  });
});
