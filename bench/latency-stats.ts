// Latency samples per command name, and the summary the load generator prints.
//
// ops/s of a command = its count / the wall-clock window from the first start to the last end of that command over
// all clients. The workload runs in phases separated by a barrier, so that window is the phase in which only that
// command ran and the figure is the server's throughput for it at the given concurrency. With several rounds on the
// same connections (load.ts --rounds), a command runs in one such window per round: its ops/s is its count over the
// sum of those windows.
//
// The load generator's own CPU (process.cpuUsage(): user + system of this process, all threads) is read at the
// start and end of every timed command; a window's CPU is the reading at its last end minus the reading at its
// first start. All clients run in this one process, so that is what the generator spent while only that command
// ran: a reader can see whether the generator, not the server, was the bottleneck.

export interface CommandSummary {
  command: string;
  count: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** This command's share of all timed commands (0–1). */
  share: number;
  /** The load generator's CPU ms per command over this command's windows; absent when not measured. */
  clientCpuMs?: number;
}

export interface RunSummary {
  commands: CommandSummary[];
  totalCount: number;
  wallSeconds: number;
  totalOpsPerSecond: number;
  /** Percentiles over every timed command together (what a user of the whole mix waits); absent in older output. */
  totalP50Ms?: number;
  totalP99Ms?: number;
}

export interface CommandWindow {
  firstStart: number;
  lastEnd: number;
  /** process.cpuUsage() (user + system, µs) when the window's first command started and its last one ended. */
  cpuAtFirstStartUs?: number;
  cpuAtLastEndUs?: number;
}

interface Series {
  samples: number[];
  /** Per round: the first start and the last end of the command in it. */
  windows: Map<number, CommandWindow>;
}

/** This process's CPU time so far, user + system, in µs. */
export function processCpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

export class LatencyRecorder {
  private readonly series = new Map<string, Series>();

  /**
   * Records one command of `round` that started at `startMs` and ended at `endMs` (performance.now() values);
   * `cpu` is this process's CPU (processCpuUs) at those two moments, when measured.
   */
  record(command: string, startMs: number, endMs: number, round = 0, cpu?: { startUs: number; endUs: number }): void {
    let series = this.series.get(command);
    if (!series) {
      series = { samples: [], windows: new Map() };
      this.series.set(command, series);
    }
    series.samples.push(endMs - startMs);
    const window = series.windows.get(round);
    if (!window) {
      series.windows.set(round, {
        firstStart: startMs,
        lastEnd: endMs,
        ...(cpu ? { cpuAtFirstStartUs: cpu.startUs, cpuAtLastEndUs: cpu.endUs } : {}),
      });
      return;
    }
    if (startMs < window.firstStart) {
      window.firstStart = startMs;
      if (cpu) window.cpuAtFirstStartUs = cpu.startUs;
    }
    if (endMs > window.lastEnd) {
      window.lastEnd = endMs;
      if (cpu) window.cpuAtLastEndUs = cpu.endUs;
    }
  }

  /** Times `run` and records it under `command` (and `round`). */
  async time<T>(command: string, run: () => Promise<T>, round = 0): Promise<T> {
    const startUs = processCpuUs();
    const start = performance.now();
    const result = await run();
    const end = performance.now();
    this.record(command, start, end, round, { startUs, endUs: processCpuUs() });
    return result;
  }

  /** The windows (first start, last end; one per round) in which `command` ran. */
  windowsOf(command: string): CommandWindow[] {
    return [...(this.series.get(command)?.windows.values() ?? [])];
  }

  /** The first start and the last end over every command recorded (performance.now() values), or undefined. */
  span(): { firstStart: number; lastEnd: number } | undefined {
    let firstStart = Infinity;
    let lastEnd = -Infinity;
    for (const series of this.series.values()) {
      for (const w of series.windows.values()) {
        firstStart = Math.min(firstStart, w.firstStart);
        lastEnd = Math.max(lastEnd, w.lastEnd);
      }
    }
    return Number.isFinite(firstStart) ? { firstStart, lastEnd } : undefined;
  }

  summarise(wallSeconds: number): RunSummary {
    const commands: CommandSummary[] = [];
    let totalCount = 0;
    for (const series of this.series.values()) totalCount += series.samples.length;
    const all = [...this.series.values()].flatMap((series) => series.samples).sort((a, b) => a - b);
    for (const [command, series] of this.series) {
      const sorted = [...series.samples].sort((a, b) => a - b);
      let windowMs = 0;
      let cpuUs = 0;
      let cpuMeasured = true;
      for (const w of series.windows.values()) {
        windowMs += w.lastEnd - w.firstStart;
        if (w.cpuAtFirstStartUs === undefined || w.cpuAtLastEndUs === undefined) cpuMeasured = false;
        else cpuUs += w.cpuAtLastEndUs - w.cpuAtFirstStartUs;
      }
      const windowSeconds = Math.max(windowMs / 1000, 1e-6);
      commands.push({
        command,
        count: sorted.length,
        opsPerSecond: round(sorted.length / windowSeconds, 1),
        p50Ms: round(percentile(sorted, 0.5), 2),
        p99Ms: round(percentile(sorted, 0.99), 2),
        maxMs: round(sorted[sorted.length - 1] ?? 0, 2),
        share: round(sorted.length / Math.max(totalCount, 1), 4),
        ...(cpuMeasured ? { clientCpuMs: round(cpuUs / 1000 / Math.max(sorted.length, 1), 3) } : {}),
      });
    }
    return {
      commands,
      totalCount,
      wallSeconds: round(wallSeconds, 3),
      totalOpsPerSecond: round(totalCount / Math.max(wallSeconds, 1e-6), 1),
      totalP50Ms: round(percentile(all, 0.5), 2),
      totalP99Ms: round(percentile(all, 0.99), 2),
    };
  }
}

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1] ?? 0;
}

/**
 * The summary as a Markdown table. `mix` adds each command's share of all commands and the load generator's own
 * CPU ms per command (load.ts prints both; the plain form is the table of earlier RESULTS.md sections).
 */
export function markdownTable(summary: RunSummary, options: { mix?: boolean } = {}): string {
  const mix = options.mix === true;
  const rows = summary.commands.map((c) => {
    const base = `| ${c.command} | ${c.count} | ${c.opsPerSecond.toFixed(1)} | ${c.p50Ms.toFixed(2)} | ${c.p99Ms.toFixed(2)} |`;
    if (!mix) return base;
    return `${base} ${(c.share * 100).toFixed(1)} % | ${c.clientCpuMs === undefined ? '' : c.clientCpuMs.toFixed(3)} |`;
  });
  return [
    mix ? '| command | count | ops/s | p50 ms | p99 ms | share | load-gen CPU ms / cmd |' : '| command | count | ops/s | p50 ms | p99 ms |',
    mix ? '|---|---:|---:|---:|---:|---:|---:|' : '|---|---:|---:|---:|---:|',
    ...rows,
    `| **total** | ${summary.totalCount} | ${summary.totalOpsPerSecond.toFixed(1)} | ${summary.totalP50Ms?.toFixed(2) ?? ''} | ${summary.totalP99Ms?.toFixed(2) ?? ''} |${mix ? ' 100 % | |' : ''}`,
  ].join('\n');
}

/** The load generator's CPU ms over all command windows, or undefined when not measured. */
export function clientCpuTotalMs(summary: RunSummary): number | undefined {
  let total = 0;
  for (const c of summary.commands) {
    if (c.clientCpuMs === undefined) return undefined;
    total += c.clientCpuMs * c.count;
  }
  return Math.round(total);
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
