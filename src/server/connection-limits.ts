// Connection-level abuse controls (issue 9 item 6) that need no protocol knowledge: open connections per client
// address, checked when a socket is accepted, and a command rate per connection (a token bucket: a command over the
// rate waits for a token, it is never dropped).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Socket } from 'node:net';
import type { SignInGuard, SignInGuards } from '../auth/sign-in-guard.js';

/** The process's abuse controls, as the IMAP and POP3 listeners apply them to each connection. */
export interface ListenerAbuse {
  addresses: AddressLimiter;
  guards: SignInGuards;
  /** Commands per second per connection (0: no limit) and the burst. */
  commandRate: number;
  commandBurst: number;
}

/** What a session of one connection gets: its sign-in guard and its command bucket. */
export function connectionControls(abuse: ListenerAbuse | undefined, socket: Socket): { signInGuard?: SignInGuard; commandRate?: TokenBucket } {
  if (!abuse) return {};
  const signInGuard = abuse.guards.forConnection(socket.remoteAddress ?? 'unknown', (release) => socket.once('close', release));
  return abuse.commandRate > 0 ? { signInGuard, commandRate: new TokenBucket(abuse.commandRate, abuse.commandBurst) } : { signInGuard };
}

export class AddressLimiter {
  private readonly open = new Map<string, number>();

  /** `max` 0: no limit. */
  constructor(private readonly max: number) {}

  /** Takes a slot for a connection from `address`; the release function, or undefined when it has `max` open. */
  acquire(address: string): (() => void) | undefined {
    const n = this.open.get(address) ?? 0;
    if (this.max > 0 && n >= this.max) return undefined;
    this.open.set(address, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(address) ?? 1) - 1;
      if (left <= 0) this.open.delete(address);
      else this.open.set(address, left);
    };
  }

  count(address: string): number {
    return this.open.get(address) ?? 0;
  }
}

/** `ratePerSecond` tokens a second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  /** Commands that had to wait for a token (tests count these instead of timing anything). */
  delayed = 0;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /**
   * Takes a token if one is there, synchronously: the per-command fast path (no promise, no timer), so a connection
   * under its rate pays one clock read per command and nothing else (issue #8).
   */
  tryTake(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.ratePerSecond) / 1000);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Resolves when a token is available and takes it. */
  async take(): Promise<void> {
    if (this.tryTake()) return;
    this.delayed += 1;
    do await sleep(Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond));
    while (!this.tryTake());
  }
}
