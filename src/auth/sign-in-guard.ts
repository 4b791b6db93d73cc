// Abuse controls around sign-in that span connections (issue 9 item 6), for IMAP and POP3 alike: failed logins per
// client address (the LoginThrottle the per-account penalty uses, keyed by address instead: Dovecot's auth penalty
// is per IP too), and open sessions per user. The per-connection view is what a session holds.
import { LoginThrottle } from './login-throttle.js';

/** What one connection asks: may this address try, how long to wait first, and may this user have one more session. */
export interface SignInGuard {
  /** True when the address has too many recent failures: refuse without checking the password. */
  refused(): boolean;
  /** Wait before checking credentials (0 without recent failures from the address). */
  penaltyMs(): number;
  failed(): void;
  /** Takes a session slot for `login` until the connection closes; false when the user has the maximum open. */
  admit(login: string): boolean;
}

export interface SignInGuardOptions {
  /** Failed logins from one address within `windowMs` after which it is refused for a while; 0: no limit. */
  maxFailuresPerAddress: number;
  windowMs: number;
  /**
   * Delay once an address has `PENALTY_GRACE` recent failures, doubling per further failure, capped at 15 s; 0: none.
   * The grace keeps one user's typos (or a few users behind one NAT) from slowing everybody at that address.
   */
  penaltyBaseMs: number;
  /** Sessions per user across IMAP and POP3 of this process; 0: no limit. */
  maxSessionsPerUser: number;
}

const PENALTY_GRACE = 30;
const PENALTY_MAX_MS = 15_000;

export class SignInGuards {
  private readonly byAddress: LoginThrottle | undefined;
  private readonly sessions = new Map<string, number>();

  constructor(private readonly options: SignInGuardOptions) {
    this.byAddress =
      options.maxFailuresPerAddress > 0
        ? new LoginThrottle({ windowMs: options.windowMs, maxFailures: options.maxFailuresPerAddress, penaltyBaseMs: options.penaltyBaseMs })
        : undefined;
  }

  /** Sessions of `login` open now (tests, metrics). */
  openSessions(login: string): number {
    return this.sessions.get(login.toLowerCase()) ?? 0;
  }

  /** The guard of one connection from `address`; `onClose` registers what to run when it closes. */
  forConnection(address: string, onClose: (release: () => void) => void): SignInGuard {
    const throttle = this.byAddress;
    const sessions = this.sessions;
    const max = this.options.maxSessionsPerUser;
    let held: string | undefined;
    onClose(() => {
      if (held === undefined) return;
      const n = (sessions.get(held) ?? 1) - 1;
      if (n <= 0) sessions.delete(held);
      else sessions.set(held, n);
      held = undefined;
    });
    return {
      refused: () => throttle?.blocked(address) ?? false,
      penaltyMs: () => {
        const n = throttle?.recentFailures(address) ?? 0;
        if (n < PENALTY_GRACE) return 0;
        return Math.min(this.options.penaltyBaseMs * 2 ** Math.min(n - PENALTY_GRACE, 20), PENALTY_MAX_MS);
      },
      failed: () => throttle?.failed(address),
      admit(login) {
        const key = login.toLowerCase();
        if (held !== undefined) return true; // one session per connection; a second login is refused elsewhere
        const open = sessions.get(key) ?? 0;
        if (max > 0 && open >= max) return false;
        sessions.set(key, open + 1);
        held = key;
        return true;
      },
    };
  }
}
