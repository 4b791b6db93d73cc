// `* OK Still here` during IDLE (RFC 2177 §3; storage-design R31: below load-balancer idle timeouts). One timer per
// process for all idling sessions, not one per session: an idle connection holds only its view and socket. A session
// registers itself (an object with a `keepalive` method), so registering allocates no closure per session.
export interface KeepaliveTarget {
  keepalive(): void;
}

export class KeepaliveTicker {
  private readonly targets = new Set<KeepaliveTarget>();
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly intervalMs: number) {}

  /** Calls `target.keepalive()` every interval until `remove(target)`. */
  add(target: KeepaliveTarget): void {
    this.targets.add(target);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
    }
  }

  remove(target: KeepaliveTarget): void {
    if (!this.targets.delete(target) || this.targets.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get size(): number {
    return this.targets.size;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.targets.clear();
  }

  private tick(): void {
    // A target removed by an earlier one's keepalive (its connection closed) is skipped by the live iteration.
    for (const target of this.targets) {
      try {
        target.keepalive();
      } catch {
        // One session's failure must not stop the others' keepalives.
      }
    }
  }
}
