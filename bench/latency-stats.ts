// Latency samples per command name, and the summary the load generator prints.
//
// ops/s of a command = its count / the wall-clock window from the first start to the last end of that command over
// all clients. The workload runs in phases separated by a barrier, so that window is the phase in which only that
// command ran and the figure is the server's throughput for it at the given concurrency.

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
  firstStart: number;
  lastEnd: number;
}

export class LatencyRecorder {
  private readonly series = new Map<string, Series>();

  /** Records one command that started at `startMs` and ended at `endMs` (performance.now() values). */
  record(command: string, startMs: number, endMs: number): void {
    let series = this.series.get(command);
    if (!series) {
      series = { samples: [], firstStart: startMs, lastEnd: endMs };
      this.series.set(command, series);
    }
    series.samples.push(endMs - startMs);
    series.firstStart = Math.min(series.firstStart, startMs);
    series.lastEnd = Math.max(series.lastEnd, endMs);
  }

  /** Times `run` and records it under `command`. */
  async time<T>(command: string, run: () => Promise<T>): Promise<T> {
    const start = performance.now();
    const result = await run();
    this.record(command, start, performance.now());
    return result;
  }

  summarise(wallSeconds: number): RunSummary {
    const commands: CommandSummary[] = [];
    let totalCount = 0;
    for (const [command, series] of this.series) {
      const sorted = [...series.samples].sort((a, b) => a - b);
      const windowSeconds = Math.max((series.lastEnd - series.firstStart) / 1000, 1e-6);
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
