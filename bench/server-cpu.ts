// CPU time a server process (and its child processes: the workers of STRATUS_WORKERS > 1) spends, sampled from
// /proc/<pid>/stat (utime + stime, Linux only) every few milliseconds, so a benchmark can say how much server CPU each
// workload phase cost. On a machine shared with other work, CPU per command moves far less than wall-clock ops/s: it
// is the figure to compare between two builds of the server.
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

interface Sample {
  /** performance.now() of the reading. */
  at: number;
  /** CPU milliseconds of the process tree so far. */
  cpuMs: number;
}

function clockTicksPerSecond(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** utime + stime of one process in clock ticks, or undefined when it is gone (fields 14 and 15 of stat, 1-based). */
function ticksOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are plain.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return undefined;
  }
}

/** The pids whose parent is `pid` (one pass over /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export class ServerCpuSampler {
  private readonly samples: Sample[] = [];
  private readonly tickMs = 1000 / clockTicksPerSecond();
  private pids: number[];
  /** CPU of processes that exited, so the total never goes down. */
  private readonly last = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private rescan: NodeJS.Timeout | undefined;

  constructor(private readonly rootPid: number) {
    this.pids = [rootPid, ...childrenOf(rootPid)];
  }

  /** Samples every `intervalMs` until stop(); children are looked for again every second (a restarted worker). */
  start(intervalMs = 10): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.rescan = setInterval(() => {
      this.pids = [this.rootPid, ...childrenOf(this.rootPid)];
    }, 1000);
    this.timer.unref();
    this.rescan.unref();
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
    clearInterval(this.rescan);
  }

  private sample(): void {
    for (const pid of this.pids) {
      const ticks = ticksOf(pid);
      if (ticks !== undefined) this.last.set(pid, ticks);
    }
    let ticks = 0;
    for (const t of this.last.values()) ticks += t;
    this.samples.push({ at: performance.now(), cpuMs: ticks * this.tickMs });
  }

  /** CPU milliseconds of the process tree between two performance.now() instants (linear between samples). */
  cpuMsBetween(from: number, to: number): number {
    return this.cpuAt(to) - this.cpuAt(from);
  }

  private cpuAt(at: number): number {
    const s = this.samples;
    if (s.length === 0) return 0;
    if (at <= s[0]!.at) return s[0]!.cpuMs;
    let lo = 0;
    let hi = s.length - 1;
    if (at >= s[hi]!.at) return s[hi]!.cpuMs;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (s[mid]!.at <= at) lo = mid;
      else hi = mid;
    }
    const a = s[lo]!;
    const b = s[hi]!;
    return a.cpuMs + ((b.cpuMs - a.cpuMs) * (at - a.at)) / Math.max(b.at - a.at, 1e-9);
  }
}

/** Waits until the sampled CPU has not moved for `quietMs` (background work — a seal, an indexer — has settled). */
export async function settleCpu(sampler: ServerCpuSampler, quietMs: number, maxMs: number): Promise<void> {
  const start = performance.now();
  let lastCpu = -1;
  let lastMoved = performance.now();
  while (performance.now() - start < maxMs) {
    await new Promise((done) => setTimeout(done, 250));
    const now = performance.now();
    const cpu = sampler.cpuMsBetween(start, now);
    if (cpu !== lastCpu) {
      lastCpu = cpu;
      lastMoved = now;
    } else if (now - lastMoved >= quietMs) return;
  }
}
