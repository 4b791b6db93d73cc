// The embedded Stratus benchmark in one command: a temporary data directory, `stratus serve` (with STRATUS_STATS=1
// under --stats) on a free loopback port, the bench users added with `stratus user add`, the load of load.ts, then SIGTERM and the
// server's per-command store-call counts. Then, unless --probe-picks 0, a probe: the server counts calls per IMAP
// command name, so the five FETCH forms and the four SEARCH forms of the workload share one row each; the probe
// restarts the server on the same data once per form, runs that form alone as bench1 on its INBOX, and reads that
// server's counts, which then belong to that form alone.
//
//   npx tsx bench/run-stratus.ts [--clients 8] [--messages 200] [--picks 20] [--seed 1] [--probe-picks 10]
//                                [--compare dovecot.jsonl] [--keep-data] [--timeout-ms 30000] [--max-seconds 600]
//
//   --compare FILE   a file holding load.ts output (its JSON line) of a reference run, e.g. Dovecot's with the same
//                    options: prints ops/s and p50 of both side by side, with the ratio
//   --keep-data      leave the data directory in place and print its path
//   --workers N      STRATUS_WORKERS=N: N server processes sharing the listener (node:cluster, src/server/workers.ts)
//   --function-threads N   STRATUS_FUNCTION_THREADS=N: the functions in N worker threads (src/server/thread-invoker.ts);
//                    ignored by the server under --stats
//   --workload loop|classic, --rounds K, --keep-open, --deliveries N, --round-appends N   as for load.ts (default
//                    loop: seeding untimed, then K rounds of the client loop; classic: the earlier workload)
//   --cpu-prof DIR   run the server under `node --cpu-prof --cpu-prof-dir DIR` (one .cpuprofile per process)
//   --loop-delay     preload bench/event-loop-probe.mjs into the server and print, for the timed rounds, how late
//                    its event loop ran a 10 ms timer, its GCs and its slow SQLite calls (bench/event-loop-stalls.ts)
//   --stats          run the timed load with STRATUS_STATS=1 and print its store calls per IMAP command. Off by
//                    default: the server then runs as `npm start` does. The per-command call scopes are an
//                    AsyncLocalStorage, whose promise hooks cost the server CPU on every await (bench/invoker-cpu.ts),
//                    so a throughput figure taken with --stats understates the server. The probe always counts.
//
// Prints the latency table (as load.ts does) with the server's CPU milliseconds per command (its process tree's
// utime + stime over the phase windows of that command, server-cpu.ts), the store calls per IMAP command (totals over the run divided by the
// command's count), the probe's table, and one JSON line with all of it. Exit status 0 when every answer passed its
// checks and the server stopped with status 0 and logged its stats; 1 otherwise; 2 on bad arguments.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeCorpus, seededRandom } from './corpus.js';
import { ImapClient } from './imap-client.js';
import type { FetchedMessage } from './imap-client.js';
import { markdownTable } from './latency-stats.js';
import type { CommandSummary } from './latency-stats.js';
import { describeResult, describeRun, parseLoadOptions, runLoad, userOf } from './load.js';
import type { LoadOptions, LoadResult } from './load.js';
import { addUser, startStratus, storeCallTable } from './stratus-process.js';
import type { CommandStatsByName, CommandStoreCalls, StratusExit } from './stratus-process.js';
import { readForms, WorkloadCheckError } from './workload.js';
import { LatencyRecorder } from './latency-stats.js';
import { ServerCpuSampler } from './server-cpu.js';
import { describeLoop, hrtimeUsOf, readLoopRecord, summariseLoop, within } from './event-loop-stalls.js';

interface RunnerOptions {
  load: LoadOptions;
  probePicks: number;
  compare: string | undefined;
  keepData: boolean;
  workers: number;
  /** STRATUS_FUNCTION_THREADS for the timed load; undefined: the server's default. */
  functionThreads: number | undefined;
  cpuProfDir: string | undefined;
  /** STRATUS_STATS=1 for the timed load (its store-call table); the probe counts either way. */
  stats: boolean;
  /** Preload bench/event-loop-probe.mjs and report the server's event-loop stalls. */
  loopDelay: boolean;
}

export function parseRunnerOptions(argv: string[]): RunnerOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      clients: { type: 'string', default: '8' },
      messages: { type: 'string', default: '200' },
      picks: { type: 'string' },
      workload: { type: 'string', default: 'loop' },
      'keep-open': { type: 'boolean', default: false },
      deliveries: { type: 'string' },
      seed: { type: 'string', default: '1' },
      'timeout-ms': { type: 'string', default: '30000' },
      'max-seconds': { type: 'string', default: '600' },
      'probe-picks': { type: 'string', default: '10' },
      compare: { type: 'string' },
      'keep-data': { type: 'boolean', default: false },
      workers: { type: 'string', default: '1' },
      'function-threads': { type: 'string' },
      rounds: { type: 'string' },
      'round-appends': { type: 'string' },
      'cpu-prof': { type: 'string' },
      stats: { type: 'boolean', default: false },
      'loop-delay': { type: 'boolean', default: false },
    },
  });
  const workers = Number(values.workers);
  if (!Number.isSafeInteger(workers) || workers < 1) throw new RangeError('--workers must be an integer >= 1');
  const functionThreads = values['function-threads'] === undefined ? undefined : Number(values['function-threads']);
  if (functionThreads !== undefined && (!Number.isSafeInteger(functionThreads) || functionThreads < 0)) throw new RangeError('--function-threads must be an integer >= 0');
  const probePicks = Number(values['probe-picks']);
  if (!Number.isSafeInteger(probePicks) || probePicks < 0) throw new RangeError(`--probe-picks must be an integer >= 0`);
  // The port is replaced once the server runs; load.ts checks the rest.
  const given = (name: string, value: string | undefined): string[] => (value === undefined ? [] : [`--${name}`, value]);
  const load = parseLoadOptions([
    '--port', '1', '--clients', values.clients, '--messages', values.messages, '--workload', values.workload,
    '--seed', values.seed, '--timeout-ms', values['timeout-ms'], '--max-seconds', values['max-seconds'],
    ...given('picks', values.picks), ...given('rounds', values.rounds), ...given('round-appends', values['round-appends']),
    ...given('deliveries', values.deliveries), ...(values['keep-open'] ? ['--keep-open'] : []),
  ]);
  const cpuProfDir = values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']);
  return { load, probePicks, compare: values.compare, keepData: values['keep-data'], workers, functionThreads, cpuProfDir, stats: values.stats, loopDelay: values['loop-delay'] };
}

/** Throws unless the server stopped cleanly. */
function checkedExit(exit: StratusExit, what: string): void {
  if (exit.code !== 0 || exit.signal !== null) {
    throw new Error(`${what}: stratus exited ${String(exit.code ?? exit.signal)}\n${(exit.stdout + exit.stderr).slice(-4000)}`);
  }
}

/** Throws unless the server stopped cleanly and logged its stats. */
function checkedStats(exit: StratusExit, what: string): CommandStatsByName {
  checkedExit(exit, what);
  if (!exit.stats) throw new Error(`${what}: stratus logged no "command stats" line`);
  return exit.stats;
}

interface ProbeForm {
  /** The row name of load.ts's table. */
  form: string;
  /** The server's name for the command (the key of its stats). */
  command: 'FETCH' | 'SEARCH';
  text: string;
  /** How often the form runs: once for 1:* and SEARCH, --probe-picks times for single messages. */
  repeat: 'once' | 'picks';
  check: (answer: FetchedMessage[], seq: number, exists: number) => void;
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new WorkloadCheckError(`probe: ${message}`);
}

function probeForms(options: LoadOptions): ProbeForm[] {
  const corpus = makeCorpus(options.messages, options.seed * 1000 + 1); // bench1's corpus, as runLoad seeds it
  const item = (answer: FetchedMessage[], seq: number, name: string): unknown =>
    answer.find((m) => m.seq === seq)?.items.get(name);
  const all = (name: string) => (answer: FetchedMessage[], _seq: number, exists: number) => {
    check(answer.filter((m) => m.items.has(name)).length >= exists, `1:* ${name} answered for fewer than ${exists} messages`);
  };
  const checks: Record<string, ProbeForm['check']> = {
    'FETCH-FLAGS': all('FLAGS'),
    'FETCH-META': all('RFC822.SIZE'),
    'FETCH-ENVELOPE': (answer, seq) => check(Array.isArray(item(answer, seq, 'ENVELOPE')), `no ENVELOPE for ${seq}`),
    'FETCH-BODY': (answer, seq) => check(Buffer.isBuffer(item(answer, seq, 'BODY[]')), `no BODY[] for ${seq}`),
    'FETCH-PARTIAL': (answer, seq) => {
      const part = item(answer, seq, 'BODY[1]<0>');
      check(Buffer.isBuffer(part) && part.length > 0 && part.length <= 100, `BODY[1]<0> of ${seq} is not 1–100 bytes`);
    },
  };
  // SEARCH answers are checked by the load run itself; the probe counts their store calls.
  return readForms(corpus).map((f) => ({ form: f.name, command: f.command, text: f.text, repeat: f.repeat, check: checks[f.name] ?? (() => undefined) }));
}

export interface ProbeRow extends CommandStoreCalls {
  form: string;
  text: string;
  /** Messages in the INBOX the form ran on. */
  exists: number;
}

/** One server per form, each running just that form (after LOGIN and SELECT) as bench1. */
async function probe(dataDir: string, options: LoadOptions, picks: number): Promise<ProbeRow[]> {
  const rows: ProbeRow[] = [];
  const user = userOf(options, 1);
  for (const form of probeForms(options)) {
    const server = await startStratus({ dataDir, env: { STRATUS_STATS: '1' } });
    let exists = 0;
    try {
      const client = await ImapClient.connect({ host: '127.0.0.1', port: server.port, timeoutMs: options.timeoutMs });
      try {
        await client.login(user, options.password);
        exists = (await client.select('INBOX')).exists;
        check(exists > 0, `${user}'s INBOX is empty`);
        const random = seededRandom(options.seed ^ 0x9e0be);
        const times = form.repeat === 'once' ? 1 : picks;
        for (let i = 0; i < times; i++) {
          const seq = 1 + Math.floor(random() * exists);
          const text = form.text.replace('{n}', String(seq));
          if (form.command === 'SEARCH') {
            const hits = await client.search(text.slice('SEARCH '.length), { name: form.form });
            check(hits.every((n) => Number.isInteger(n) && n >= 1 && n <= exists), `${text} returned a bad number`);
          } else {
            const [, set = '', ...items] = text.split(' ');
            form.check(await client.fetch(set, items.join(' '), { name: form.form }), seq, exists);
          }
        }
        await client.logout();
      } finally {
        client.close();
      }
    } finally {
      const exit = await server.stop();
      const stats = checkedStats(exit, `probe ${form.form}`);
      const calls = stats[form.command];
      if (calls) rows.push({ form: form.form, text: form.text, exists, ...calls });
    }
    const expected = form.repeat === 'once' ? 1 : picks;
    const got = rows.at(-1);
    if (got?.form !== form.form || got.count !== expected) {
      throw new Error(`probe ${form.form}: the server counted ${String(got?.form === form.form ? got.count : 0)} ${form.command} commands, expected ${expected}`);
    }
  }
  return rows;
}

function probeTable(rows: ProbeRow[]): string {
  const byForm: CommandStatsByName = {};
  for (const row of rows) {
    byForm[`${row.form}: \`${row.text.replace('{n}', 'n')}\``] = row;
  }
  return storeCallTable(byForm, 'workload step (alone, 1 client)');
}

interface Reference {
  commands: CommandSummary[];
  totalOpsPerSecond: number;
  totalP50Ms?: number;
  totalP99Ms?: number;
  workload?: string;
  seeding?: { appendsPerSecond: number };
  clientCpuMs?: number;
  totalCount?: number;
}

/** The last load.ts JSON line in `file`. */
function readReference(file: string): Reference {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{') && l.includes('"imap-load"'));
  const last = lines.at(-1);
  if (!last) throw new Error(`${file} holds no load.ts JSON line`);
  const value = JSON.parse(last) as Reference;
  if (!Array.isArray(value.commands) || typeof value.totalOpsPerSecond !== 'number') throw new Error(`${file}: not a load.ts summary`);
  return value;
}

export function comparisonTable(ours: LoadResult, reference: Reference, name = 'Dovecot'): string {
  const ratio = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(2) : '–');
  const rows = ours.commands.map((c) => {
    const r = reference.commands.find((x) => x.command === c.command);
    if (!r) return `| ${c.command} | ${(c.share * 100).toFixed(1)} % | ${c.opsPerSecond.toFixed(1)} | – | – | ${c.p50Ms.toFixed(2)} | – | – | ${c.p99Ms.toFixed(2)} | – | – |`;
    return (
      `| ${c.command} | ${(c.share * 100).toFixed(1)} % | ${c.opsPerSecond.toFixed(1)} | ${r.opsPerSecond.toFixed(1)} | ${ratio(c.opsPerSecond, r.opsPerSecond)} ` +
      `| ${c.p50Ms.toFixed(2)} | ${r.p50Ms.toFixed(2)} | ${ratio(c.p50Ms, r.p50Ms)} ` +
      `| ${c.p99Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${ratio(c.p99Ms, r.p99Ms)} |`
    );
  });
  const ms = (v: number | undefined): string => (v === undefined ? '' : v.toFixed(2));
  const msRatio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? '' : ratio(a, b));
  const lines = [
    `| command | share | Stratus ops/s | ${name} ops/s | ops/s ratio | Stratus p50 ms | ${name} p50 ms | p50 ratio | Stratus p99 ms | ${name} p99 ms | p99 ratio |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    `| **total** | 100 % | ${ours.totalOpsPerSecond.toFixed(1)} | ${reference.totalOpsPerSecond.toFixed(1)} | ` +
      `${ratio(ours.totalOpsPerSecond, reference.totalOpsPerSecond)} | ${ms(ours.totalP50Ms)} | ${ms(reference.totalP50Ms)} | ` +
      `${msRatio(ours.totalP50Ms, reference.totalP50Ms)} | ${ms(ours.totalP99Ms)} | ${ms(reference.totalP99Ms)} | ${msRatio(ours.totalP99Ms, reference.totalP99Ms)} |`,
  ];
  // The issue's client loop lists no SEARCH; the loop workload adds four. Their rows can carry the total (plain
  // Dovecot reads every message for SEARCH BODY), so the total without them is printed too.
  const withoutSearch = (commands: readonly CommandSummary[]): { count: number; seconds: number } => {
    let count = 0;
    let seconds = 0;
    for (const c of commands) {
      if (c.command.startsWith('SEARCH') || c.opsPerSecond <= 0) continue;
      count += c.count;
      seconds += c.count / c.opsPerSecond; // the command's windows, as latency-stats.ts defines its ops/s
    }
    return { count, seconds };
  };
  const a = withoutSearch(ours.commands);
  const b = withoutSearch(reference.commands);
  if (a.count > 0 && b.count > 0 && a.count < ours.totalCount) {
    const oursRate = a.count / a.seconds;
    const theirs = b.count / b.seconds;
    lines.push(
      '',
      `without the SEARCH rows (the issue's client loop alone): Stratus ${oursRate.toFixed(1)} ops/s, ` +
        `${name} ${theirs.toFixed(1)} ops/s, ratio ${ratio(oursRate, theirs)}`,
    );
  }
  const higherP99 = ours.commands.filter((c) => {
    const r = reference.commands.find((x) => x.command === c.command);
    return r !== undefined && c.p99Ms > r.p99Ms;
  });
  lines.push(`rows where Stratus's p99 is higher: ${higherP99.length} of ${ours.commands.length}`);
  if (reference.workload !== undefined && reference.workload !== ours.workload) {
    lines.push('', `WARNING: the reference ran workload ${reference.workload}, this run ${ours.workload}: not comparable`);
  } else if (reference.workload === undefined && ours.workload !== 'classic') {
    lines.push('', `WARNING: the reference is from a load.ts without --workload (classic), this run is ${ours.workload}: not comparable`);
  }
  if (ours.seeding && reference.seeding) {
    lines.push(
      '',
      `seeding (untimed, not in the total): Stratus ${ours.seeding.appendsPerSecond.toFixed(1)} seed APPENDs/s, ` +
        `${name} ${reference.seeding.appendsPerSecond.toFixed(1)} seed APPENDs/s (ratio ${ratio(ours.seeding.appendsPerSecond, reference.seeding.appendsPerSecond)})`,
    );
  }
  if (ours.clientCpuMs !== undefined && reference.clientCpuMs !== undefined && reference.totalCount) {
    lines.push(
      `load generator CPU per command: ${(ours.clientCpuMs / Math.max(ours.totalCount, 1)).toFixed(3)} ms against Stratus, ` +
        `${(reference.clientCpuMs / reference.totalCount).toFixed(3)} ms against ${name}`,
    );
  }
  return lines.join('\n');
}

/** Server CPU per command: the server's CPU over the windows in which only that command ran (the phases). */
function serverCpuPerCommand(
  summary: LoadResult,
  recorder: LatencyRecorder,
  sampler: ServerCpuSampler,
): Record<string, { totalMs: number; perCommandMs: number }> {
  const out: Record<string, { totalMs: number; perCommandMs: number }> = {};
  for (const c of summary.commands) {
    let totalMs = 0;
    for (const w of recorder.windowsOf(c.command)) totalMs += sampler.cpuMsBetween(w.firstStart, w.lastEnd);
    out[c.command] = { totalMs: Math.round(totalMs), perCommandMs: Math.round((totalMs / Math.max(c.count, 1)) * 100) / 100 };
  }
  return out;
}

/** The timed commands' first start and last end on the server's clock (hrtime µs), or undefined. */
function recorderSpan(recorder: LatencyRecorder): [number, number] | undefined {
  const span = recorder.span();
  return span === undefined ? undefined : [hrtimeUsOf(span.firstStart), hrtimeUsOf(span.lastEnd)];
}

/** The latency table with a column of server CPU ms per command. */
function withServerCpu(table: string, cpu: Record<string, { perCommandMs: number }>): string {
  return table
    .split('\n')
    .map((line, i) => {
      if (i === 0) return `${line} server CPU ms / cmd |`;
      if (i === 1) return `${line}---:|`;
      const name = /^\| ([^|]+?) \|/.exec(line)?.[1] ?? '';
      const per = cpu[name]?.perCommandMs;
      return `${line} ${per === undefined ? '' : per.toFixed(2)} |`;
    })
    .join('\n');
}

async function main(): Promise<number> {
  let options: RunnerOptions;
  try {
    options = parseRunnerOptions(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
  const reference = options.compare === undefined ? undefined : readReference(options.compare);
  const dataDir = mkdtempSync(join(tmpdir(), 'stratus-bench-'));
  const load = options.load;
  try {
    const users = [...new Set(Array.from({ length: load.clients }, (_, i) => userOf(load, i + 1)))];
    for (const user of users) await addUser(dataDir, user, load.password);
    const loopFile = options.loopDelay ? join(dataDir, 'event-loop.json') : undefined;
    const nodeArgs = [
      ...(options.cpuProfDir !== undefined ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : []),
      ...(loopFile !== undefined ? ['--import', './bench/event-loop-probe.mjs'] : []),
    ];
    const server = await startStratus({
      dataDir,
      env: {
        ...(loopFile !== undefined ? { STRATUS_BENCH_LOOP_FILE: loopFile } : {}),
        ...(options.stats ? { STRATUS_STATS: '1' } : {}),
        STRATUS_WORKERS: String(options.workers),
        ...(options.functionThreads !== undefined ? { STRATUS_FUNCTION_THREADS: String(options.functionThreads) } : {}),
      },
      ...(nodeArgs.length > 0 ? { nodeArgs } : {}),
    });
    const recorder = new LatencyRecorder();
    const sampler = server.pid === undefined ? undefined : new ServerCpuSampler(server.pid);
    sampler?.start();
    const outcome: { ok: true; result: LoadResult } | { ok: false; error: unknown } = await runLoad(
      { ...load, port: server.port },
      recorder,
    ).then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    sampler?.stop();
    const exit = await server.stop(); // stopped (and its stats read) whether or not the load passed
    if (!outcome.ok) {
      if (exit.code !== 0 || exit.signal !== null) console.error(`stratus also exited ${String(exit.code ?? exit.signal)}`);
      throw outcome.error;
    }
    checkedExit(exit, 'load run');
    const stats = options.stats ? checkedStats(exit, 'load run') : undefined;
    const summary = outcome.result;
    const serverCpu = sampler ? serverCpuPerCommand(summary, recorder, sampler) : {};
    const where = `Stratus (embedded store, ${options.stats ? 'STRATUS_STATS=1' : 'no STRATUS_STATS, as npm start'}, ${options.workers} process${options.workers > 1 ? 'es (workers)' : ''}${options.functionThreads ? `, ${options.functionThreads} function thread${options.functionThreads > 1 ? 's' : ''}` : ''}) on 127.0.0.1:${server.port}`;
    console.log(`${describeRun(load, where)}\n`);
    console.log(withServerCpu(markdownTable(summary, { mix: true }), serverCpu));
    console.log(`\n${describeResult(summary, load)}\n`);
    if (stats) {
      console.log('Store calls per IMAP command over the run (the server names FETCH and SEARCH of every form alike):\n');
      console.log(storeCallTable(stats));
    }
    let probeRows: ProbeRow[] = [];
    if (options.probePicks > 0) {
      probeRows = await probe(dataDir, load, options.probePicks);
      console.log(
        `\nStore calls per command of each workload step alone (a fresh server each, bench1's INBOX of ` +
          `${probeRows[0]?.exists ?? '?'} messages, ${options.probePicks} picks for single-message forms):\n`,
      );
      console.log(probeTable(probeRows));
    }
    if (reference) {
      console.log(`\nAgainst ${options.compare ?? ''}:\n`);
      console.log(comparisonTable(summary, reference));
    }
    const span = recorderSpan(recorder);
    const loop = loopFile === undefined ? undefined : within(readLoopRecord(loopFile), span?.[0], span?.[1]);
    if (loop) console.log(`\nServer event loop over the timed rounds (bench/event-loop-probe.mjs):\n${describeLoop(loop)}`);
    const cpuTotal = Object.values(serverCpu).reduce((a, b) => a + b.totalMs, 0);
    console.log(`\nserver CPU over the command windows: ${cpuTotal.toFixed(0)} ms (${(cpuTotal / summary.totalCount).toFixed(2)} ms per command)`);
    const { password: _password, dataDir: _dataDir, ...shown } = { ...load, port: server.port, workers: options.workers };
    console.log(
      `\n${JSON.stringify({ bench: 'stratus-embedded', options: { ...shown, probePicks: options.probePicks }, ...summary, serverCpu, stats: options.stats, ...(stats ? { storeCalls: stats } : {}), ...(loop ? { eventLoop: summariseLoop(loop) } : {}), probe: probeRows })}`,
    );
    return 0;
  } catch (error) {
    console.error(`benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    if (options.keepData) console.error(`data kept in ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(fileURLToPath(import.meta.url)) === resolve(process.argv[1])) {
  process.exitCode = await main();
}
