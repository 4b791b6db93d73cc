// Preloaded into `stratus serve` by bench/idle-connections.ts (NODE_OPTIONS=--import): on SIGUSR2 the process runs a
// full garbage collection and writes process.memoryUsage() as one JSON line to STRATUS_BENCH_MEMORY_FILE, and with
// STRATUS_BENCH_HEAP_SNAPSHOT=1 also a heap snapshot beside it (to find per-connection costs). The server's code is
// untouched; this file is never loaded outside the benchmark.
import { appendFileSync } from 'node:fs';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';

const file = process.env.STRATUS_BENCH_MEMORY_FILE;
if (file) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  let seq = 0;
  process.on('SIGUSR2', () => {
    gc();
    gc();
    seq += 1;
    const snapshot = process.env.STRATUS_BENCH_HEAP_SNAPSHOT === '1' ? writeHeapSnapshot(`${file}.${seq}.heapsnapshot`) : undefined;
    appendFileSync(file, JSON.stringify({ seq, pid: process.pid, ...process.memoryUsage(), snapshot }) + '\n');
  });
}
