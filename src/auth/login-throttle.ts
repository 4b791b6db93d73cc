// Failed logins per account, across every connection of this process (issue 3 item 6). Like Dovecot's auth penalty
// (auth_penalty.c: a delay of 2^(n-1) s, at most 15 s, before answering a source with n recent failures), an
// account with recent failures gets its next attempts delayed; past a hard cap within the window it is refused
// outright (NO [UNAVAILABLE]) without the password being checked, until the window slides past the failures.
// In-process only: several frontends each keep their own window (a bound per frontend, not a global one).

export interface LoginThrottleOptions {
  /** How far back failures count. Default 15 minutes. */
  windowMs?: number;
  /** Failures within the window after which attempts are refused unchecked. Default 20. */
  maxFailures?: number;
  /** Delay before checking an account with one recent failure; doubles per further failure. Default 1000 ms. */
  penaltyBaseMs?: number;
  /** Upper bound of that delay. Default 15 000 ms (Dovecot's AUTH_PENALTY_MAX_PENALTY). */
  penaltyMaxMs?: number;
  /** Accounts tracked at most; the oldest entry is forgotten first. Default 100 000. */
  maxAccounts?: number;
  now?: () => number;
}

export class LoginThrottle {
  private readonly windowMs: number;
  private readonly maxFailures: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly maxAccounts: number;
  private readonly now: () => number;
  /** Failure times per account, oldest first; Map order = least recently failed first (for eviction). */
  private readonly failures = new Map<string, number[]>();

  constructor(options: LoginThrottleOptions = {}) {
    this.windowMs = options.windowMs ?? 15 * 60_000;
    this.maxFailures = options.maxFailures ?? 20;
    this.baseMs = options.penaltyBaseMs ?? 1000;
    this.maxMs = options.penaltyMaxMs ?? 15_000;
    this.maxAccounts = options.maxAccounts ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  private static key(login: string): string {
    return login.trim().toLowerCase();
  }

  /** Failures of `login` still inside the window. */
  recentFailures(login: string): number {
    const key = LoginThrottle.key(login);
    const times = this.failures.get(key);
    if (!times) return 0;
    const since = this.now() - this.windowMs;
    while (times.length > 0 && times[0]! <= since) times.shift();
    if (times.length === 0) this.failures.delete(key);
    return times.length;
  }

  /** True when attempts for `login` are refused unchecked for now. */
  blocked(login: string): boolean {
    return this.recentFailures(login) >= this.maxFailures;
  }

  /** How long to wait before checking credentials for `login`: 0 without recent failures. */
  penaltyMs(login: string): number {
    const n = this.recentFailures(login);
    if (n === 0) return 0;
    return Math.min(this.baseMs * 2 ** Math.min(n - 1, 30), this.maxMs);
  }

  failed(login: string): void {
    const key = LoginThrottle.key(login);
    const times = this.failures.get(key) ?? [];
    this.failures.delete(key); // re-insert: most recently failed last
    times.push(this.now());
    if (times.length > this.maxFailures) times.splice(0, times.length - this.maxFailures);
    this.failures.set(key, times);
    while (this.failures.size > this.maxAccounts) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) break;
      this.failures.delete(oldest);
    }
  }

  /** A successful login clears the account's penalty, as Dovecot does. */
  succeeded(login: string): void {
    this.failures.delete(LoginThrottle.key(login));
  }
}
