// Reads what bench/event-loop-probe.mjs recorded inside a server and says where its event loop stalled: the
// lateness histogram of a 10 ms timer (how long the loop was busy before it could run), the garbage collections and
// the slow SQLite calls, and for each of the longest stalls what overlapped it. On a shared machine part of every
// lateness is the thread waiting for a CPU other processes hold; the probe measures that wait (schedstat), and the
// "own" figures subtract it: what the server itself held the loop for, by running or by blocking. bench/run-stratus.ts --loop-delay
// prints this for the timed rounds; on its own:
//
//   npx tsx bench/event-loop-stalls.ts FILE [--from-us N --to-us N] [--top 15]
//
// Times are process.hrtime microseconds (CLOCK_MONOTONIC, the same in every process on the machine).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface LoopRecord {
  pid: number;
  tickMs: number;
  slowSqlMs: number;
  /** [µs, lateness ms, run ms, runqueue wait ms] (run and wait: the main thread's, since the previous tick) */
  ticks: [number, number, number, number][];
  /** [start µs, duration ms, kind] */
  gc: [number, number, string][];
  /** [start µs, duration ms, sql] */
  slow: [number, number, string][];
}

export interface LoopSummary {
  ticks: number;
  /** Tick lateness percentiles, ms, as measured. */
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** The same of the own lateness: lateness minus the thread's runqueue wait since the previous tick. */
  ownP50: number;
  ownP99: number;
  ownP999: number;
  ownMax: number;
  /** Main-thread runqueue wait over the ticks (ms): how much other processes got in the way. */
  waitMs: number;
  /** Ticks whose own lateness is at least 10 / 20 / 50 ms. */
  over10: number;
  over20: number;
  over50: number;
  /** GC by kind: count, total ms, max ms. */
  gc: Record<string, { count: number; totalMs: number; maxMs: number }>;
  /** Slow SQLite calls by statement: count, total ms, max ms. */
  slowSql: Record<string, { count: number; totalMs: number; maxMs: number }>;
}

/** The hrtime µs of now in this process, for turning a performance.now() value into the probe's clock. */
export function hrtimeUsOf(performanceNowMs: number): number {
  const originUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
  return Math.round(originUs + performanceNowMs * 1000);
}

export function readLoopRecord(file: string): LoopRecord {
  return JSON.parse(readFileSync(file, 'utf8')) as LoopRecord;
}

const percentile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

function group<T extends [number, number, string]>(rows: T[]): Record<string, { count: number; totalMs: number; maxMs: number }> {
  const out: Record<string, { count: number; totalMs: number; maxMs: number }> = {};
  for (const [, ms, name] of rows) {
    const g = (out[name] ??= { count: 0, totalMs: 0, maxMs: 0 });
    g.count++;
    g.totalMs += ms;
    g.maxMs = Math.max(g.maxMs, ms);
  }
  for (const g of Object.values(out)) {
    g.totalMs = Math.round(g.totalMs * 10) / 10;
    g.maxMs = Math.round(g.maxMs * 10) / 10;
  }
  return out;
}

/** The record cut to [fromUs, toUs]. */
export function within(record: LoopRecord, fromUs = -Infinity, toUs = Infinity): LoopRecord {
  const inside = <T extends [number, ...unknown[]]>(rows: T[]): T[] => rows.filter((r) => r[0] >= fromUs && r[0] <= toUs);
  return { ...record, ticks: inside(record.ticks), gc: inside(record.gc), slow: inside(record.slow) };
}

/** Lateness minus the runqueue wait: what the process itself held the loop for. */
const own = (tick: LoopRecord['ticks'][number]): number => Math.max(0, tick[1] - (tick[3] ?? 0));

export function summariseLoop(record: LoopRecord): LoopSummary {
  const late = record.ticks.map((t) => t[1]).sort((a, b) => a - b);
  const mine = record.ticks.map(own).sort((a, b) => a - b);
  const round = (v: number): number => Math.round(v * 10) / 10;
  return {
    ticks: late.length,
    p50: round(percentile(late, 0.5)),
    p99: round(percentile(late, 0.99)),
    p999: round(percentile(late, 0.999)),
    max: round(late.at(-1) ?? 0),
    ownP50: round(percentile(mine, 0.5)),
    ownP99: round(percentile(mine, 0.99)),
    ownP999: round(percentile(mine, 0.999)),
    ownMax: round(mine.at(-1) ?? 0),
    waitMs: Math.round(record.ticks.reduce((sum, t) => sum + (t[3] ?? 0), 0)),
    over10: mine.filter((v) => v >= 10).length,
    over20: mine.filter((v) => v >= 20).length,
    over50: mine.filter((v) => v >= 50).length,
    gc: group(record.gc),
    slowSql: group(record.slow),
  };
}

/** A readable report: the summary, then the `top` latest ticks with the GCs and slow SQL that overlapped each. */
export function describeLoop(record: LoopRecord, top = 15): string {
  const s = summariseLoop(record);
  const lines = [
    `event loop (${record.tickMs} ms timer, ${s.ticks} ticks): lateness p50 ${s.p50} ms, p99 ${s.p99} ms, p99.9 ${s.p999} ms, max ${s.max} ms`,
    `  own (minus ${s.waitMs} ms of waiting for a CPU): p50 ${s.ownP50} ms, p99 ${s.ownP99} ms, p99.9 ${s.ownP999} ms, max ${s.ownMax} ms; ` +
      `ticks own-late >= 10 ms: ${s.over10}, >= 20 ms: ${s.over20}, >= 50 ms: ${s.over50}`,
    `gc: ${Object.entries(s.gc).map(([k, g]) => `${k} ${g.count}× ${g.totalMs} ms (max ${g.maxMs})`).join(', ') || 'none'}`,
    `SQLite calls >= ${record.slowSqlMs} ms: ${Object.keys(s.slowSql).length === 0 ? 'none' : ''}`,
    ...Object.entries(s.slowSql)
      .sort((a, b) => b[1].totalMs - a[1].totalMs)
      .slice(0, 12)
      .map(([sql, g]) => `  ${g.count}× total ${g.totalMs} ms, max ${g.maxMs} ms: ${sql.slice(0, 100)}`),
    `the ${top} ticks of the longest own lateness (late / run / CPU wait ms) and what overlapped the stretch before each:`,
  ];
  const worst = [...record.ticks].sort((a, b) => own(b) - own(a)).slice(0, top);
  for (const [at, lateMs, runMs = 0, waitMs = 0] of worst) {
    const from = at - (lateMs + record.tickMs) * 1000;
    const overlaps = (start: number, ms: number): boolean => start <= at && start + ms * 1000 >= from;
    const gcs = record.gc.filter(([st, ms]) => overlaps(st, ms)).map(([, ms, kind]) => `gc ${kind} ${ms.toFixed(1)}`);
    const sql = record.slow.filter(([st, ms]) => overlaps(st, ms)).map(([, ms, q]) => `sql ${ms.toFixed(1)} ${q.slice(0, 60)}`);
    lines.push(`  ${lateMs.toFixed(1)} / ${runMs.toFixed(1)} / ${waitMs.toFixed(1)} at ${at}: ${[...gcs, ...sql].join('; ') || '(no GC or slow SQL: JS work; see a --cpu-prof profile)'}`);
  }
  return lines.join('\n');
}

if (process.argv[1] !== undefined && resolve(fileURLToPath(import.meta.url)) === resolve(process.argv[1])) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'from-us': { type: 'string' }, 'to-us': { type: 'string' }, top: { type: 'string', default: '15' } },
  });
  const file = positionals[0];
  if (file === undefined) {
    console.error('usage: npx tsx bench/event-loop-stalls.ts FILE [--from-us N --to-us N] [--top 15]');
    process.exitCode = 2;
  } else {
    const record = within(readLoopRecord(file), values['from-us'] === undefined ? undefined : Number(values['from-us']), values['to-us'] === undefined ? undefined : Number(values['to-us']));
    console.log(describeLoop(record, Number(values.top)));
  }
}
