// Keeps the clients of a run in step: every client finishes a phase (say, all its APPENDs) before any client starts
// the next, so each command's throughput is measured while only that command runs. If one client fails, break()
// releases everyone with the error, so a broken run ends instead of waiting forever.

export class PhaseBarrier {
  private arrived = 0;
  private waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private broken: Error | undefined;

  constructor(private readonly parties: number) {
    if (!Number.isInteger(parties) || parties < 1) throw new RangeError('a barrier needs at least one party');
  }

  wait(): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (++this.arrived === this.parties) {
        const waiters = this.waiters;
        this.waiters = [];
        this.arrived = 0;
        for (const waiter of waiters) waiter.resolve();
      }
    });
  }

  break(error: Error): void {
    if (this.broken) return;
    this.broken = error;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}
