// The floor under bench/idle-connections.ts (issue 5: hint-to-client latency with 10,000 idle connections on one
// process): a bare Node server — no IMAP, no store, no view — holds N loopback connections and, on a signal, writes
// one `* k EXISTS\r\n` (the same shared Buffer) to every one of them; a client process (this one) times each arrival
// exactly as the idle benchmark does. Whatever one event loop needs to put one small message on N loopback sockets is
// a cost Stratus pays too, and a lower bound on its fan-out.
//
//   ulimit -n 20000   # each side needs one descriptor per connection
//   npx tsx bench/socket-write-floor.ts --connections 10000 --rounds 5
//
// Modes (each round runs every mode in turn, so the modes are compared within the same minute):
//   write  socket.write(buf) per socket, in one synchronous loop: what Stratus does (ImapWriter.writeNow);
//   fd     fs.writeSync(socket._handle.fd, buf): the system call alone, without Node's stream machinery — a
//          measurement device only (it bypasses the stream's ordering and backpressure, never do this in a server);
//   pool   fs.write(fd, buf, cb) per socket: the system calls spread over libuv's thread pool (UV_THREADPOOL_SIZE,
//          --pool-size), the event loop only queues them — also a measurement device only.
//
// Reported per mode, in the idle benchmark's units and column order: the server's RSS and heap per connection (after
// a full GC, before the rounds), its event-loop CPU per round (main thread, /proc/<pid>/schedstat, from just before
// the signal until every client has its line, minus the CPU of an equally long quiet window; median over rounds) and
// per socket, the arrival latency p50/p99/max and the whole distribution (client's performance.now() at the data
// event − its performance.now() just before it sent the signal; the idle benchmark starts its clock at B's tagged OK),
// and the in-process duration of the server's write loop (for `pool`: until the last write's callback).
//
// Options: --connections N (10000), --rounds R (5), --modes write,fd,pool, --sources K (local source addresses
// 127.0.0.1 … 127.0.0.K; 1), --pool-size P (the server's UV_THREADPOOL_SIZE; 4, Node's default).
import { connect, createServer, type Socket } from 'node:net';
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, write as fsWrite, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

type Mode = 'write' | 'fd' | 'pool';
const MODES: readonly Mode[] = ['write', 'fd', 'pool'];

interface Options {
  connections: number;
  rounds: number;
  modes: Mode[];
  sources: number;
  poolSize: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { connections: 10_000, rounds: 5, modes: [...MODES], sources: 1, poolSize: 4 };
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
    else if (a === '--pool-size') o.poolSize = value();
    else if (a === '--modes') {
      o.modes = (argv[++i] ?? '').split(',').map((m) => {
        if (!(MODES as readonly string[]).includes(m)) throw new Error(`unknown mode ${m} (write, fd, pool)`);
        return m as Mode;
      });
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** Parent → server messages, and the server's answers. */
type ToServer = { kind: 'write'; mode: Mode; k: number } | { kind: 'memory' };
type FromServer = { kind: 'listening'; port: number } | { kind: 'written'; loopMs: number } | { kind: 'memory'; rss: number; heapUsed: number; external: number; sockets: number };

/** The bare server: accepts sockets (set up as Stratus's listener sets them up) and writes on request. */
function serve(): void {
  const sockets: Socket[] = [];
  const send = (m: FromServer): void => void process.send!(m);
  const server = createServer((socket) => {
    // As src/server/tcp-listener.ts and src/imap/connection.ts do.
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.on('error', () => undefined);
    sockets.push(socket);
  });
  server.listen(0, '127.0.0.1', () => send({ kind: 'listening', port: (server.address() as { port: number }).port }));
  process.on('message', (m: ToServer) => {
    if (m.kind === 'memory') {
      (globalThis as { gc?: () => void }).gc?.();
      const u = process.memoryUsage();
      send({ kind: 'memory', rss: u.rss, heapUsed: u.heapUsed, external: u.external, sockets: sockets.length });
      return;
    }
    // One Buffer for every socket, as Stratus shares one `* k EXISTS` (src/imap/session/updates.ts).
    const bytes = Buffer.from(`* ${m.k} EXISTS\r\n`, 'latin1');
    const started = performance.now();
    const finish = (): void => send({ kind: 'written', loopMs: performance.now() - started });
    if (m.mode === 'write') {
      for (const s of sockets) s.write(bytes);
      finish();
    } else if (m.mode === 'fd') {
      for (const s of sockets) writeSync(fdOf(s), bytes);
      finish();
    } else {
      let pending = sockets.length;
      for (const s of sockets) fsWrite(fdOf(s), bytes, () => void (--pending === 0 && finish()));
    }
  });
}

/** The descriptor under a net.Socket (an internal field: the measurement modes only). */
function fdOf(socket: Socket): number {
  return (socket as unknown as { _handle: { fd: number } })._handle.fd;
}

/** CPU used so far by process `pid`: its main thread (the event loop) in ns, and all its threads in ms. */
function cpuOf(pid: number): { mainNs: number; allMs: number } {
  const mainNs = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { mainNs, allMs: (Number(fields[11]) + Number(fields[12])) * 10 };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function next<T extends FromServer['kind']>(child: ChildProcess, kind: T): Promise<Extract<FromServer, { kind: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromServer): void => {
      if (m.kind !== kind) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m as Extract<FromServer, { kind: T }>);
    };
    const onExit = (): void => reject(new Error('the server exited'));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** One client connection: like the idle benchmark's, it decodes latin1 and looks for `* k EXISTS`. */
class Client {
  onExists: ((k: number, at: number) => void) | undefined;
  readonly existsAt = new Map<number, number>();

  constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      const at = performance.now();
      for (const m of chunk.matchAll(/\* (\d+) EXISTS\r\n/g)) {
        const k = Number(m[1]);
        this.existsAt.set(k, at);
        this.onExists?.(k, at);
      }
    });
    socket.on('error', () => undefined);
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    execArgv: [...process.execArgv, '--expose-gc'],
    env: { ...process.env, UV_THREADPOOL_SIZE: String(o.poolSize) },
  });
  const clients: Client[] = [];
  try {
    const { port } = await next(child, 'listening');
    child.send({ kind: 'memory' } satisfies ToServer);
    const before = await next(child, 'memory');
    const started = performance.now();
    for (let i = 0; i < o.connections; i += 200) {
      const batch = Array.from({ length: Math.min(200, o.connections - i) }, (_, j) =>
        new Promise<Client>((resolve, reject) => {
          const socket = connect({ port, host: '127.0.0.1', localAddress: `127.0.0.${1 + ((i + j) % o.sources)}` });
          socket.once('error', reject);
          socket.once('connect', () => resolve(new Client(socket)));
        }),
      );
      clients.push(...(await Promise.all(batch)));
    }
    const setupSeconds = (performance.now() - started) / 1000;
    // Every accept has been handled by the server before memory is read.
    for (;;) {
      child.send({ kind: 'memory' } satisfies ToServer);
      const m = await next(child, 'memory');
      if (m.sockets === o.connections) break;
      await sleep(100);
    }
    await sleep(1000);
    child.send({ kind: 'memory' } satisfies ToServer);
    const after = await next(child, 'memory');
    const n = clients.length;
    const kb = (field: 'rss' | 'heapUsed' | 'external'): string => ((after[field] - before[field]) / n / 1024).toFixed(2);

    const results = new Map<Mode, { latencies: number[]; cpu: { mainMs: number; quietMainMs: number; allMs: number; quietAllMs: number }[]; loopMs: number[] }>();
    for (const mode of o.modes) results.set(mode, { latencies: [], cpu: [], loopMs: [] });
    let k = 0;
    for (let round = 1; round <= o.rounds; round++) {
      for (const mode of o.modes) {
        k++;
        const r = results.get(mode)!;
        let missing = n;
        const all = new Promise<void>((resolve) => {
          for (const c of clients) {
            c.onExists = (count) => {
              if (count === k && --missing === 0) resolve();
            };
          }
        });
        const written = next(child, 'written');
        const cpuBefore = cpuOf(child.pid!);
        const sent = performance.now();
        child.send({ kind: 'write', mode, k } satisfies ToServer);
        // Not ref'd: a pending limit must not hold the process open after the run.
        await Promise.race([all, sleep(120_000, undefined, { ref: false }).then(() => Promise.reject(new Error(`${mode}: ${missing} clients never got line ${k}`)))]);
        const { loopMs } = await written;
        const cpuAfter = cpuOf(child.pid!);
        const windowMs = performance.now() - sent;
        const quietBefore = cpuOf(child.pid!);
        await sleep(Math.max(windowMs, 200));
        const quietAfter = cpuOf(child.pid!);
        const quietScale = windowMs / Math.max(windowMs, 200);
        r.cpu.push({
          mainMs: (cpuAfter.mainNs - cpuBefore.mainNs) / 1e6,
          quietMainMs: ((quietAfter.mainNs - quietBefore.mainNs) / 1e6) * quietScale,
          allMs: cpuAfter.allMs - cpuBefore.allMs,
          quietAllMs: (quietAfter.allMs - quietBefore.allMs) * quietScale,
        });
        r.loopMs.push(loopMs);
        for (const c of clients) r.latencies.push(Math.max(0, c.existsAt.get(k)! - sent));
        await sleep(500);
      }
    }

    const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)]!;
    console.log(
      `| connections | server | setup s | RSS KB/conn | heap KB/conn | external KB/conn | fan-out CPU ms (event loop) | µs / session | ` +
        `EXISTS p50 ms | p99 ms | max ms | write loop ms (in the server) | all threads CPU ms |`,
    );
    console.log(`|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
    const json: Record<string, unknown> = {};
    const lines: string[] = [];
    for (const [mode, r] of results) {
      const lat = r.latencies.sort((x, y) => x - y);
      const mainMs = median(r.cpu.map((c) => c.mainMs - c.quietMainMs));
      const allMs = median(r.cpu.map((c) => c.allMs - c.quietAllMs));
      const loopMs = median(r.loopMs);
      console.log(
        `| ${n} | floor: ${mode} | ${setupSeconds.toFixed(1)} | ${kb('rss')} | ${kb('heapUsed')} | ${kb('external')} | ${mainMs.toFixed(1)} | ` +
          `${((mainMs * 1000) / n).toFixed(2)} | ${percentile(lat, 50).toFixed(1)} | ${percentile(lat, 99).toFixed(1)} | ${lat.at(-1)!.toFixed(1)} | ` +
          `${loopMs.toFixed(1)} | ${allMs.toFixed(0)} |`,
      );
      const distribution = Object.fromEntries(
        [['min', lat[0]!] as [string, number]].concat([10, 25, 50, 75, 90, 99].map((p) => [`p${p}`, percentile(lat, p)])).concat([['max', lat.at(-1)!]]).map(([key, v]) => [key, Number(v.toFixed(1))]),
      );
      lines.push(`${mode}: latency from the signal, ms: ${JSON.stringify(distribution)}`);
      json[mode] = {
        fanOutCpu: {
          mainThreadMs: Number(mainMs.toFixed(1)),
          mainThreadMicrosPerSession: Number(((mainMs * 1000) / n).toFixed(2)),
          allThreadsMs: Number(allMs.toFixed(0)),
          rounds: r.cpu.map((c, i) => ({ mainMs: Number(c.mainMs.toFixed(1)), quietMainMs: Number(c.quietMainMs.toFixed(1)), allMs: c.allMs, loopMs: Number(r.loopMs[i]!.toFixed(1)) })),
        },
        fromSignalDistributionMs: distribution,
      };
    }
    for (const line of lines) console.log(line);
    console.log(JSON.stringify({ connections: n, rounds: o.rounds, poolSize: o.poolSize, setupSeconds: Number(setupSeconds.toFixed(1)), perConnectionKB: { rss: Number(kb('rss')), heapUsed: Number(kb('heapUsed')), external: Number(kb('external')) }, modes: json }));
  } finally {
    for (const c of clients) c.socket.destroy();
    child.kill();
  }
}

if (process.argv.includes('--serve')) serve();
else {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  });
}
