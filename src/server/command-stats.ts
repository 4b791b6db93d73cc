// Per-command store-call counts (STRATUS_STATS=1): each IMAP command runs in its own async scope of the call meter,
// so concurrent sessions do not mix their counts.
import { CallMeter, type CallCounts } from '../storage/metered.js';

export interface CommandStat {
  count: number;
  kv: number;
  blob: number;
  blobBytesRead: number;
  byOp: Record<string, number>;
}

export class CommandStats {
  readonly byCommand = new Map<string, CommandStat>();

  constructor(private readonly meter: CallMeter) {}

  /** Called by a session before it runs a command: later store calls in this async flow count for it. */
  begin(_command: string): void {
    this.meter.scope.enterWith(CallMeter.zero());
  }

  end(command: string): void {
    const counts: CallCounts | undefined = this.meter.scope.getStore();
    if (!counts) return;
    const stat = this.byCommand.get(command) ?? { count: 0, kv: 0, blob: 0, blobBytesRead: 0, byOp: {} };
    stat.count += 1;
    stat.kv += counts.kv;
    stat.blob += counts.blob;
    stat.blobBytesRead += counts.blobBytesRead;
    for (const [op, n] of Object.entries(counts.byOp)) stat.byOp[op] = (stat.byOp[op] ?? 0) + n;
    this.byCommand.set(command, stat);
    this.meter.scope.enterWith(CallMeter.zero());
  }

  toJSON(): Record<string, CommandStat> {
    return Object.fromEntries([...this.byCommand.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}
