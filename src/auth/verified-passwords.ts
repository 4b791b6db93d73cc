// A bounded memory of passwords that verified recently (issue #8 "caching of authenticated credentials"), so a
// client that logs in again and again (mbsync, phones: a LOGIN per sync) costs a hash instead of 4096 PBKDF2
// rounds. What is kept is a pure function of (salt, iterations, password) — the StoredKey it yields — under an
// HMAC of those with a key of this process, so it can never be stale: a new password has a new salt and misses.
// Only successful verifications are kept, so guessing still costs the full PBKDF2 work each time.
import { createHmac, randomBytes } from 'node:crypto';

const MAX_ENTRIES = 10_000;
const TTL_MS = 60 * 60 * 1000;

export class VerifiedPasswords {
  private readonly key = randomBytes(32);
  /** Map order is insertion order: the oldest entry goes first when full. */
  private readonly entries = new Map<string, { storedKey: string; until: number }>();

  constructor(
    private readonly maxEntries = MAX_ENTRIES,
    private readonly ttlMs = TTL_MS,
  ) {}

  private id(salt: string, iterations: number, password: string): string {
    return createHmac('sha256', this.key).update(`${salt}\0${iterations}\0`).update(password, 'utf8').digest('base64');
  }

  /** The StoredKey remembered for this password and secret's salt, if it verified within the TTL. */
  storedKeyOf(salt: string, iterations: number, password: string, now = Date.now()): string | undefined {
    const id = this.id(salt, iterations, password);
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.storedKey;
  }

  remember(salt: string, iterations: number, password: string, storedKey: string, now = Date.now()): void {
    const id = this.id(salt, iterations, password);
    this.entries.delete(id);
    this.entries.set(id, { storedKey, until: now + this.ttlMs });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The process's memory (functions in one process share it; each Lambda container has its own). */
export const verifiedPasswords = new VerifiedPasswords();
