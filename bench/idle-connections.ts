// Many idle IMAP connections on one frontend (issue 5 "Idle connections are cheap"): opens N connections to one
// `stratus serve` process A (embedded backend), each LOGIN, SELECT INBOX, IDLE, and reports
//   - A's memory per idle connection: (RSS / heap after N connections − the same before them) / N, both after a full
//     GC (bench/memory-probe.mjs, preloaded into A), target ≤ 16 KB;
//   - hint-to-client latency: a second process B on the same data directory APPENDs; Redis (a redis-server started
//     here on a loopback port) carries the hint to A, which pushes `* k EXISTS` to every idling client. Per client and
//     round, the time from B's tagged OK (the commit is done) to that client's EXISTS, p50/p99 over all of them
//     (target p99 < 100 ms on loopback); also from the moment the APPEND was sent.
//
//   - A's CPU time per hint fan-out (less noisy than latency on a shared machine): from /proc/<pid>/schedstat (the
//     main thread, i.e. the event loop, in ns) and /proc/<pid>/stat (all threads, user+system), from just before
//     B's APPEND until every client has its EXISTS, minus A's CPU over an equally long quiet window before it;
//   - the latency distribution (min, p10 … max) per run; min is the first client's EXISTS, i.e. everything before the
//     fan-out (B's commit → Redis → A's log read → first write). bench/socket-write-floor.ts measures the same
//     fan-out with no server logic at all (a bare server writing one line to N sockets), in the same units.
//
//   ulimit -n 20000   # each side needs one descriptor per connection
//   npx tsx bench/idle-connections.ts --connections 10000 --rounds 5
//
// Options: --connections N (10000), --rounds R (5), --sources K (local source addresses 127.0.0.1 … 127.0.0.K,
// for when ephemeral ports run short; 1), --parallel P (connections being set up at once; 64), --rev2 (ENABLE
// IMAP4rev2 first: no \Recent claims), --snapshot (A writes heap snapshots at each measurement, for profiling; they
// are kept in the data directory the run names), --bundle (A and B run the esbuild bundle the Dockerfile builds —
// what production runs — instead of src/cli.ts through tsx, whose keepNames wrapper adds a property store of 256 bytes
// to every named closure), --cpu-prof DIR (A writes a V8 CPU profile into DIR when it stops).
// Like the rest of bench/ it talks to Stratus only over the wire and through its CLI.
import { connect, type Socket } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { addUser, REPO_ROOT, startStratus, type StratusServer } from './stratus-process.js';
import { startRedis } from '../test/notify/redis-server.js';

interface Options {
  connections: number;
  rounds: number;
  sources: number;
  parallel: number;
  rev2: boolean;
  snapshot: boolean;
  bundle: boolean;
  cpuProf: string | undefined;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { connections: 10_000, rounds: 5, sources: 1, parallel: 64, rev2: false, snapshot: false, bundle: false, cpuProf: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): number => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a} needs a positive integer`);
      return n;
    };
    if (a === '--connections') o.connections = value();
    else if (a === '--rounds') o.rounds = value();
    else if (a === '--sources') o.sources = value();
    else if (a === '--parallel') o.parallel = value();
    else if (a === '--rev2') o.rev2 = true;
    else if (a === '--snapshot') o.snapshot = true;
    else if (a === '--bundle') o.bundle = true;
    else if (a === '--cpu-prof') o.cpuProf = argv[++i];
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const USER = 'idle@example.com';
const PASSWORD = 'idle-bench-password';
const STEP_TIMEOUT_MS = 120_000;

/** One raw IMAP connection: collects text, resolves waits on it; in IDLE it only watches for `* k EXISTS`. */
class Conn {
  private text = '';
  private waiter: { test: (t: string) => boolean; resolve: () => void; reject: (e: Error) => void } | undefined;
  /** performance.now() at which `* k EXISTS` arrived, per k, while idling. */
  readonly existsAt = new Map<number, number>();
  onExists: ((k: number, at: number) => void) | undefined;
  idling = false;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.data(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static open(port: number, localAddress: string): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        const c = new Conn(socket);
        c.wait((t) => t.includes('\r\n')).then(() => resolve(c), reject);
      });
    });
  }

  private data(chunk: string): void {
    if (this.idling) {
      const at = performance.now();
      for (const m of chunk.matchAll(/\* (\d+) EXISTS\r\n/g)) {
        const k = Number(m[1]);
        this.existsAt.set(k, at);
        this.onExists?.(k, at);
      }
      return;
    }
    this.text += chunk;
    if (this.waiter?.test(this.text)) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve();
    }
  }

  private fail(err: Error): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }

  wait(test: (t: string) => boolean): Promise<string> {
    return new Promise<void>((resolve, reject) => {
      if (test(this.text)) return resolve();
      this.waiter = { test, resolve, reject };
    }).then(() => {
      const t = this.text;
      this.text = '';
      return t;
    });
  }

  async command(tag: string, line: string | Buffer): Promise<string> {
    this.socket.write(typeof line === 'string' ? `${tag} ${line}\r\n` : Buffer.concat([Buffer.from(`${tag} `), line, Buffer.from('\r\n')]));
    const answer = await this.wait((t) => new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`).test(t));
    if (!new RegExp(`(^|\\r\\n)${tag} OK`).test(answer)) throw new Error(`${tag} failed: ${answer.slice(-300)}`);
    return answer;
  }

  async idle(): Promise<void> {
    this.socket.write('I IDLE\r\n');
    await this.wait((t) => t.includes('+ '));
    this.idling = true;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The probe's memory line after a full GC in A (SIGUSR2 → bench/memory-probe.mjs). */
async function measure(server: StratusServer, file: string, seq: number): Promise<{ rss: number; heapUsed: number; external: number; arrayBuffers: number }> {
  process.kill(server.pid!, 'SIGUSR2');
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    if (existsSync(file)) {
      const line = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number; rss: number; heapUsed: number; external: number; arrayBuffers: number }).find((l) => l.seq === seq);
      if (line) return line;
    }
    if (Date.now() > deadline) throw new Error('the memory probe did not answer');
    await sleep(100);
  }
}

/** CPU used so far by process `pid`: its main thread (the event loop) in ns, and all its threads in ms. */
function cpuOf(pid: number): { mainNs: number; allMs: number } {
  const mainNs = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  // Fields after the command name "(…)": utime and stime are the 12th and 13th, in clock ticks (100 a second).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const allMs = (Number(fields[11]) + Number(fields[12])) * 10;
  return { mainNs, allMs };
}

/** The Dockerfile's build step: src/cli.ts bundled by esbuild, dependencies external (resolved from node_modules). */
function buildBundle(): string {
  const dir = join(REPO_ROOT, 'node_modules', '.cache', 'stratus-bench');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'stratus.mjs');
  execFileSync(
    join(REPO_ROOT, 'node_modules', '.bin', 'esbuild'),
    ['src/cli.ts', '--bundle', '--platform=node', '--target=node20', '--format=esm', '--packages=external', `--outfile=${out}`, '--log-level=warning'],
    { cwd: REPO_ROOT, stdio: 'inherit' },
  );
  return out;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function openIdle(port: number, index: number, o: Options): Promise<Conn> {
  const c = await Conn.open(port, `127.0.0.${1 + (index % o.sources)}`);
  await c.command('L', `LOGIN "${USER}" "${PASSWORD}"`);
  if (o.rev2) await c.command('E', 'ENABLE IMAP4rev2');
  await c.command('S', 'SELECT INBOX');
  await c.idle();
  return c;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const dataDir = mkdtempSync(join(tmpdir(), 'stratus-idle-bench-'));
  const memoryFile = join(dataDir, 'memory.jsonl');
  const redis = await startRedis();
  const servers: StratusServer[] = [];
  const conns: Conn[] = [];
  try {
    await addUser(dataDir, USER, PASSWORD);
    const env = {
      STRATUS_REDIS_URL: redis.url,
      // Far beyond the run: every EXISTS measured here came through a hint.
      STRATUS_MAILBOX_POLL_MS: '3600000',
      STRATUS_LOG_LEVEL: 'info',
      // Two servers on one machine: only the plain IMAP port (a free one, from startStratus).
      STRATUS_IMAPS_PORT: 'off',
      STRATUS_POP3S_PORT: 'off',
      STRATUS_HEALTH_PORT: 'off',
      STRATUS_IMAP_TLS_OFFLOAD_PORT: 'off',
      // One user from one address on purpose (every client idles on one INBOX): the abuse limits are off.
      STRATUS_MAX_CONNECTIONS_PER_IP: '0',
      STRATUS_MAX_SESSIONS_PER_USER: '0',
    };
    const probe = pathToFileURL(join(REPO_ROOT, 'bench', 'memory-probe.mjs')).href;
    const entry = o.bundle ? { entry: buildBundle() } : {};
    const a = await startStratus({
      ...entry,
      ...(o.cpuProf ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', o.cpuProf] } : {}),
      dataDir,
      env: { ...env, NODE_OPTIONS: `--import ${probe}`, STRATUS_BENCH_MEMORY_FILE: memoryFile, ...(o.snapshot ? { STRATUS_BENCH_HEAP_SNAPSHOT: '1' } : {}) },
    });
    servers.push(a);
    const b = await startStratus({ ...entry, dataDir, env });
    servers.push(b);

    // Warm-up: the mailbox cache of INBOX exists and the code paths are compiled before the baseline.
    const warm = await openIdle(a.port, 0, o);
    conns.push(warm);
    const before = await measure(a, memoryFile, 1);

    const started = performance.now();
    let next = 1;
    const worker = async (): Promise<void> => {
      while (next <= o.connections - 1) {
        const i = next++;
        conns.push(await openIdle(a.port, i, o));
        if (conns.length % 1000 === 0) console.error(`${conns.length} connections idling (${((performance.now() - started) / 1000).toFixed(0)} s)`);
      }
    };
    await Promise.all(Array.from({ length: o.parallel }, worker));
    const setupSeconds = (performance.now() - started) / 1000;
    const afterOpen = await measure(a, memoryFile, 2);
    const n = conns.length - 1; // the warm-up connection is in both measurements
    const perConn = (field: 'rss' | 'heapUsed' | 'external' | 'arrayBuffers'): number => (afterOpen[field] - before[field]) / n;

    // Latency: B appends, every idling client on A must see the new EXISTS.
    const writer = await Conn.open(b.port, '127.0.0.1');
    await writer.command('L', `LOGIN "${USER}" "${PASSWORD}"`);
    const fromCommit: number[] = [];
    const fromSend: number[] = [];
    const cpu: { mainMs: number; allMs: number; quietMainMs: number; quietAllMs: number; windowMs: number }[] = [];
    for (let k = 1; k <= o.rounds; k++) {
      let missing = conns.length;
      const all = new Promise<void>((resolve) => {
        for (const c of conns) {
          c.onExists = (count) => {
            if (count === k && --missing === 0) resolve();
          };
        }
      });
      const body = `Subject: idle bench ${k}\r\n\r\nround ${k}\r\n`;
      const cpuBefore = cpuOf(a.pid!);
      const sent = performance.now();
      await writer.command(`A${k}`, Buffer.from(`APPEND INBOX {${Buffer.byteLength(body)}+}\r\n${body}`));
      const committed = performance.now();
      // Not ref'd: a pending limit must not hold the process open for minutes after the run.
      await Promise.race([all, sleep(STEP_TIMEOUT_MS, undefined, { ref: false }).then(() => Promise.reject(new Error(`round ${k}: ${missing} clients never saw EXISTS`)))]);
      const cpuAfter = cpuOf(a.pid!);
      const windowMs = performance.now() - sent;
      // A's CPU while nothing happens (autologout sweeps, keepalives, GC) over as long a window, to subtract.
      const quietBefore = cpuOf(a.pid!);
      await sleep(Math.max(windowMs, 200));
      const quietAfter = cpuOf(a.pid!);
      const quietScale = windowMs / Math.max(windowMs, 200);
      cpu.push({
        mainMs: (cpuAfter.mainNs - cpuBefore.mainNs) / 1e6,
        allMs: cpuAfter.allMs - cpuBefore.allMs,
        quietMainMs: ((quietAfter.mainNs - quietBefore.mainNs) / 1e6) * quietScale,
        quietAllMs: (quietAfter.allMs - quietBefore.allMs) * quietScale,
        windowMs,
      });
      for (const c of conns) {
        const at = c.existsAt.get(k)!;
        fromCommit.push(Math.max(0, at - committed));
        fromSend.push(at - sent);
      }
      await sleep(500);
    }
    writer.close();
    fromCommit.sort((x, y) => x - y);
    fromSend.sort((x, y) => x - y);
    const afterRounds = await measure(a, memoryFile, 3);

    const kb = (bytes: number): string => (bytes / 1024).toFixed(2);
    const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)]!;
    const fanOutMainMs = median(cpu.map((c) => c.mainMs - c.quietMainMs));
    const fanOutAllMs = median(cpu.map((c) => c.allMs - c.quietAllMs));
    const distribution = (xs: number[]): Record<string, number> =>
      Object.fromEntries(
        [['min', Number(xs[0]!.toFixed(1))] as [string, number]]
          .concat([10, 25, 50, 75, 90, 99].map((p) => [`p${p}`, Number(percentile(xs, p).toFixed(1))]))
          .concat([['max', Number(xs.at(-1)!.toFixed(1))]]),
      );
    const result = {
      connections: conns.length,
      sources: o.sources,
      rev2: o.rev2,
      setupSeconds: Number(setupSeconds.toFixed(1)),
      baseline: before,
      afterOpen,
      afterRounds,
      bundle: o.bundle,
      fanOutCpu: {
        /** Median over rounds of A's event-loop CPU per hint (quiet CPU subtracted), in ms and µs per idling session. */
        mainThreadMs: Number(fanOutMainMs.toFixed(1)),
        mainThreadMicrosPerSession: Number(((fanOutMainMs * 1000) / conns.length).toFixed(2)),
        allThreadsMs: Number(fanOutAllMs.toFixed(0)),
        rounds: cpu.map((c) => ({ mainMs: Number(c.mainMs.toFixed(1)), quietMainMs: Number(c.quietMainMs.toFixed(1)), allMs: c.allMs, windowMs: Number(c.windowMs.toFixed(0)) })),
      },
      fromCommitDistributionMs: distribution(fromCommit),
      perConnectionKB: { rss: Number(kb(perConn('rss'))), heapUsed: Number(kb(perConn('heapUsed'))), external: Number(kb(perConn('external'))), arrayBuffers: Number(kb(perConn('arrayBuffers'))) },
      latencyMs: {
        samples: fromCommit.length,
        fromCommit: { p50: Number(percentile(fromCommit, 50).toFixed(1)), p99: Number(percentile(fromCommit, 99).toFixed(1)), max: Number(fromCommit.at(-1)!.toFixed(1)) },
        fromSend: { p50: Number(percentile(fromSend, 50).toFixed(1)), p99: Number(percentile(fromSend, 99).toFixed(1)), max: Number(fromSend.at(-1)!.toFixed(1)) },
      },
    };
    console.log(
      `| connections | server | setup s | RSS KB/conn | heap KB/conn | external KB/conn | fan-out CPU ms (event loop) | µs / session | ` +
        `EXISTS p50 ms | p99 ms | max ms | (from APPEND sent) p50 / p99 ms |`,
    );
    console.log(`|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
    console.log(
      `| ${conns.length} | ${o.bundle ? 'bundle' : 'tsx'} | ${result.setupSeconds} | ${kb(perConn('rss'))} | ${kb(perConn('heapUsed'))} | ${kb(perConn('external'))} | ` +
        `${result.fanOutCpu.mainThreadMs} | ${result.fanOutCpu.mainThreadMicrosPerSession} | ` +
        `${result.latencyMs.fromCommit.p50} | ${result.latencyMs.fromCommit.p99} | ${result.latencyMs.fromCommit.max} | ${result.latencyMs.fromSend.p50} / ${result.latencyMs.fromSend.p99} |`,
    );
    console.log(`latency from commit, ms: ${JSON.stringify(result.fromCommitDistributionMs)}`);
    console.log(JSON.stringify(result));
  } finally {
    for (const c of conns) c.close();
    for (const s of servers) await s.stop(30_000);
    await redis.stop();
    if (!o.snapshot) rmSync(dataDir, { recursive: true, force: true });
    else console.error(`heap snapshots kept in ${dataDir}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exit(1);
});
