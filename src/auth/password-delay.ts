// How long to wait before answering a failed login with "NO [AUTHENTICATIONFAILED]" (RFC 5530 §3). The delay slows
// online password guessing on one connection and hides how long the failed check took (unknown user vs. wrong
// password). It grows with the failures already seen on the connection, up to a cap, so a client that keeps
// guessing gets slower answers. The server config sets `baseMs`; tests set it to a few milliseconds.

export interface FailedLoginDelayOptions {
  /** Delay after the first failure. Default 1000 ms. */
  baseMs?: number;
  /** Upper bound of the delay however many failures came before. Default 10 000 ms. */
  maxMs?: number;
}

export const DEFAULT_FAILED_LOGIN_DELAY_MS = 1000;
export const DEFAULT_MAX_FAILED_LOGIN_DELAY_MS = 10_000;

/**
 * Delay in ms before answering the `failures`-th failed login of a connection (1 for the first): baseMs doubling
 * with each further failure, capped at maxMs.
 */
export function failedLoginDelayMs(failures: number, options: FailedLoginDelayOptions = {}): number {
  const baseMs = options.baseMs ?? DEFAULT_FAILED_LOGIN_DELAY_MS;
  const maxMs = options.maxMs ?? DEFAULT_MAX_FAILED_LOGIN_DELAY_MS;
  if (!(baseMs >= 0) || !(maxMs >= 0)) throw new RangeError('failed-login delays must be non-negative numbers');
  if (!Number.isFinite(failures)) throw new RangeError('failure count must be a finite number');
  const doublings = Math.min(Math.max(Math.floor(failures) - 1, 0), 30); // 2^30 is already past any sane cap
  return Math.min(baseMs * 2 ** doublings, maxMs);
}

/** Resolves after failedLoginDelayMs(failures, options). */
export function waitAfterFailedLogin(failures: number, options: FailedLoginDelayOptions = {}): Promise<void> {
  const ms = failedLoginDelayMs(failures, options);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
