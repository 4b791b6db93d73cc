// Preloaded into `stratus serve` by bench/run-stratus.ts --loop-delay (node --import): records what the event loop
// was doing, so a latency tail can be traced to its cause. The server's code is untouched; this file is never loaded
// outside the benchmark. On exit it writes one JSON object to STRATUS_BENCH_LOOP_FILE with
//   ticks: [monotonic µs, lateness ms, run ms, wait ms] of a 10 ms interval timer: a tick that fires late by L ms
//          means the loop was busy (one synchronous stretch, or several back to back) for about L ms before it. Run
//          and wait are the main thread's time on a CPU and waiting for one (runnable, not running) since the previous
//          tick, from /proc/thread-self/schedstat: on a shared machine `wait` is the part of the lateness that other
//          processes caused, and late − wait − run (when positive) is time the thread slept blocked (I/O, a lock).
//   gc:    [monotonic µs at start, duration ms, kind] of every garbage collection (PerformanceObserver 'gc')
//   slow:  [monotonic µs at start, duration ms, sql] of every better-sqlite3 call (run/get/all, COMMIT included: the
//          transaction wrapper runs its COMMIT through Statement.run) that took SLOW_SQL_MS or more
// Monotonic µs is process.hrtime: the clock of a --cpu-prof profile's timestamps, so both can be laid side by side.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';

const file = process.env.STRATUS_BENCH_LOOP_FILE;
const TICK_MS = 10;
const SLOW_SQL_MS = 2;
if (file) {
  const nowUs = () => Number(process.hrtime.bigint() / 1000n);
  const ticks = [];
  const gc = [];
  const slow = [];
  /** [run ns, wait ns] of this (the main) thread; zeros where /proc has no schedstat. */
  const schedstat = () => {
    try {
      const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
      return [run, wait];
    } catch {
      return [0, 0];
    }
  };
  let expected = nowUs() + TICK_MS * 1000;
  let [lastRun, lastWait] = schedstat();
  setInterval(() => {
    const now = nowUs();
    const [run, wait] = schedstat();
    ticks.push([now, Math.max(0, (now - expected) / 1000), (run - lastRun) / 1e6, (wait - lastWait) / 1e6]);
    [lastRun, lastWait] = [run, wait];
    expected = now + TICK_MS * 1000;
  }, TICK_MS).unref();

  const kinds = {
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  // performance.timeOrigin is epoch ms; the entries' startTime is ms since then. hrtime at origin = now - performance.now().
  const originUs = nowUs() - performance.now() * 1000;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc.push([Math.round(originUs + e.startTime * 1000), e.duration, kinds[e.detail?.kind] ?? String(e.detail?.kind)]);
  }).observe({ entryTypes: ['gc'] });

  // Every Statement shares one native prototype; wrapping it times every call, whichever connection made it.
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const scratch = new Database(':memory:');
  const proto = Object.getPrototypeOf(scratch.prepare('SELECT 1'));
  scratch.close();
  for (const name of ['run', 'get', 'all']) {
    const original = proto[name];
    proto[name] = function timed(...args) {
      const start = nowUs();
      try {
        return original.apply(this, args);
      } finally {
        const ms = (nowUs() - start) / 1000;
        if (ms >= SLOW_SQL_MS) slow.push([start, ms, this.source]);
      }
    };
  }

  process.on('exit', () => {
    writeFileSync(file, JSON.stringify({ pid: process.pid, tickMs: TICK_MS, slowSqlMs: SLOW_SQL_MS, ticks, gc, slow }));
  });
}
