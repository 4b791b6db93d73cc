// Latency samples per command name, and the summary the load generator prints.
//
// ops/s of a command = its count / the wall-clock window from the first start to the last end of that command over
// all clients. The workload runs in phases separated by a barrier, so that window is the phase in which only that
// command ran and the figure is the server's throughput for it at the given concurrency. With several rounds on the
// same connections (load.ts --rounds), a command runs in one such window per round: its ops/s is its count over the
// sum of those windows.

export interface CommandSummary {
  command: string;
  count: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface RunSummary {
  commands: CommandSummary[];
  totalCount: number;
  wallSeconds: number;
  totalOpsPerSecond: number;
}

interface Series {
  samples: number[];
  /** Per round: the first start and the last end of the command in it. */
  windows: Map<number, { firstStart: number; lastEnd: number }>;
}

export class LatencyRecorder {
  private readonly series = new Map<string, Series>();

  /** Records one command of `round` that started at `startMs` and ended at `endMs` (performance.now() values). */
  record(command: string, startMs: number, endMs: number, round = 0): void {
    let series = this.series.get(command);
    if (!series) {
      series = { samples: [], windows: new Map() };
      this.series.set(command, series);
    }
    series.samples.push(endMs - startMs);
    const window = series.windows.get(round);
    if (!window) series.windows.set(round, { firstStart: startMs, lastEnd: endMs });
    else {
      window.firstStart = Math.min(window.firstStart, startMs);
      window.lastEnd = Math.max(window.lastEnd, endMs);
    }
  }

  /** Times `run` and records it under `command` (and `round`). */
  async time<T>(command: string, run: () => Promise<T>, round = 0): Promise<T> {
    const start = performance.now();
    const result = await run();
    this.record(command, start, performance.now(), round);
    return result;
  }

  /** The windows (first start, last end; one per round) in which `command` ran. */
  windowsOf(command: string): { firstStart: number; lastEnd: number }[] {
    return [...(this.series.get(command)?.windows.values() ?? [])];
  }

  summarise(wallSeconds: number): RunSummary {
    const commands: CommandSummary[] = [];
    let totalCount = 0;
    for (const [command, series] of this.series) {
      const sorted = [...series.samples].sort((a, b) => a - b);
      let windowMs = 0;
      for (const w of series.windows.values()) windowMs += w.lastEnd - w.firstStart;
      const windowSeconds = Math.max(windowMs / 1000, 1e-6);
      totalCount += sorted.length;
      commands.push({
        command,
        count: sorted.length,
        opsPerSecond: round(sorted.length / windowSeconds, 1),
        p50Ms: round(percentile(sorted, 0.5), 2),
        p99Ms: round(percentile(sorted, 0.99), 2),
        maxMs: round(sorted[sorted.length - 1] ?? 0, 2),
      });
    }
    return {
      commands,
      totalCount,
      wallSeconds: round(wallSeconds, 3),
      totalOpsPerSecond: round(totalCount / Math.max(wallSeconds, 1e-6), 1),
    };
  }
}

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1] ?? 0;
}

export function markdownTable(summary: RunSummary): string {
  const rows = summary.commands.map(
    (c) => `| ${c.command} | ${c.count} | ${c.opsPerSecond.toFixed(1)} | ${c.p50Ms.toFixed(2)} | ${c.p99Ms.toFixed(2)} |`,
  );
  return [
    '| command | count | ops/s | p50 ms | p99 ms |',
    '|---|---:|---:|---:|---:|',
    ...rows,
    `| **total** | ${summary.totalCount} | ${summary.totalOpsPerSecond.toFixed(1)} | | |`,
  ].join('\n');
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
