// `* OK Still here` during IDLE (RFC 2177 §3; storage-design R31: below load-balancer idle timeouts). One timer per
// process for all idling sessions, not one per session: an idle connection holds only its view and socket.
export class KeepaliveTicker {
  private readonly callbacks = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly intervalMs: number) {}

  /** Calls `callback` every interval until the returned function is called. */
  add(callback: () => void): () => void {
    this.callbacks.add(callback);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
    }
    return () => {
      this.callbacks.delete(callback);
      if (this.callbacks.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.callbacks.clear();
  }

  private tick(): void {
    for (const callback of [...this.callbacks]) callback();
  }
}
