import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyRecorder, markdownTable, percentile } from '../../bench/latency-stats.js';

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(sorted, 0.5), 50);
    assert.equal(percentile(sorted, 0.99), 99);
    assert.equal(percentile([7], 0.99), 7);
    assert.equal(percentile([1, 2, 3], 0.5), 2);
    assert.equal(percentile([], 0.5), 0);
  });
});

describe('LatencyRecorder', () => {
  it('summarises count, throughput over the command window and percentiles', () => {
    const recorder = new LatencyRecorder();
    // Four FETCHes between t=1000 and t=3000 ms: 2 ops/s over that window.
    recorder.record('FETCH', 1000, 1010);
    recorder.record('FETCH', 1500, 1520);
    recorder.record('FETCH', 2000, 2030);
    recorder.record('FETCH', 2960, 3000);
    recorder.record('LOGIN', 0, 5);
    const summary = recorder.summarise(4);
    assert.deepEqual(summary.commands[0], { command: 'FETCH', count: 4, opsPerSecond: 2, p50Ms: 20, p99Ms: 40, maxMs: 40, share: 0.8 });
    assert.equal(summary.commands[1]?.command, 'LOGIN');
    assert.equal(summary.totalCount, 5);
    assert.equal(summary.totalOpsPerSecond, 1.3);
    // Over all five commands together (5, 10, 20, 30, 40 ms): what a user of the whole mix waits.
    assert.equal(summary.totalP50Ms, 20);
    assert.equal(summary.totalP99Ms, 40);
  });

  it('sums the windows of each round, so time spent on other commands between rounds does not count', () => {
    const recorder = new LatencyRecorder();
    // Round 0: 2 APPENDs in 1000–2000 ms; round 1 (much later): 2 more in 9000–9500 ms. 4 ops over 1.5 s.
    recorder.record('APPEND', 1000, 1100, 0);
    recorder.record('APPEND', 1900, 2000, 0);
    recorder.record('APPEND', 9000, 9100, 1);
    recorder.record('APPEND', 9400, 9500, 1);
    assert.equal(recorder.summarise(10).commands[0]?.opsPerSecond, 2.7);
  });

  it('prints a Markdown table with one row per command and a total', () => {
    const recorder = new LatencyRecorder();
    recorder.record('SELECT', 0, 2);
    const table = markdownTable(recorder.summarise(1)).split('\n');
    assert.equal(table[0], '| command | count | ops/s | p50 ms | p99 ms |');
    assert.equal(table[2], '| SELECT | 1 | 500.0 | 2.00 | 2.00 |');
    assert.equal(table[3], '| **total** | 1 | 1.0 | 2.00 | 2.00 |');
  });

  it('times an async operation and records it only when it succeeds', async () => {
    const recorder = new LatencyRecorder();
    assert.equal(await recorder.time('NOOP', async () => 42), 42);
    await assert.rejects(recorder.time('FAIL', async () => Promise.reject(new Error('no'))));
    assert.deepEqual(recorder.summarise(1).commands.map((c) => [c.command, c.count]), [['NOOP', 1]]);
  });
});
