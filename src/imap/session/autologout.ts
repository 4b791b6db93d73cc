// Inactivity autologout (RFC 9051 §5.4) for every connection of the process with ONE timer, not one per connection:
// a connection only notes when it last moved bytes (a number, no timer re-armed per chunk), and a sweep over the
// watched connections — once a second, or a quarter of the shortest timeout when that is shorter (tests) — logs out
// those whose quiet time has reached their limit. So a connection is logged out no earlier than its limit and at
// most one sweep later; an idle connection holds no Timeout of its own (issue 5: 10,000 idle sessions).

/** A connection as the clock sees it. */
export interface Inactive {
  /** performance.now() of the last activity. */
  readonly activeAt: number;
  /** Inactivity allowed in the current state, in ms. */
  readonly timeoutMs: number;
  /** Called once when the limit is reached; the connection is no longer watched after it. */
  expire(): void;
}

const DEFAULT_SWEEP_MS = 1000;
const MIN_SWEEP_MS = 25;

export class AutologoutClock {
  private readonly watched = new Set<Inactive>();
  private timer: NodeJS.Timeout | undefined;
  private sweepMs = 0;

  /** Sweeps made so far (tests count these instead of timing anything). */
  sweeps = 0;

  get size(): number {
    return this.watched.size;
  }

  /** Watches `connection` until `forget` or its expiry; its limit may change while watched (login). */
  watch(connection: Inactive): void {
    this.watched.add(connection);
    const wanted = Math.max(MIN_SWEEP_MS, Math.min(DEFAULT_SWEEP_MS, Math.floor(connection.timeoutMs / 4)));
    if (this.timer && wanted >= this.sweepMs) return;
    if (this.timer) clearInterval(this.timer);
    this.sweepMs = wanted;
    this.timer = setInterval(() => this.sweep(), wanted);
    this.timer.unref();
  }

  forget(connection: Inactive): void {
    if (!this.watched.delete(connection) || this.watched.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.sweepMs = 0;
  }

  private sweep(): void {
    this.sweeps++;
    const now = performance.now();
    for (const connection of this.watched) {
      if (now - connection.activeAt < connection.timeoutMs) continue;
      this.forget(connection);
      try {
        connection.expire();
      } catch {
        // A connection's failure to say BYE must not stop the others' autologout.
      }
    }
  }
}

/** The process's clock, shared by every IMAP connection that is not given its own (ImapDeps.autologout). */
export const processAutologout = new AutologoutClock();
