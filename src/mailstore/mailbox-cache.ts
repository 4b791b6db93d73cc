// The frontend's per-process mailbox cache (DESIGN.md "The frontend", storage-design §C5/§C9): one entry per mailbox
// that some local session has open. On a change hint — or on the slow safety poll of META — the process reads the
// change log ONCE per mailbox and hands the entries to every local watcher (an IMAP session's view, later POP3),
// instead of each session polling on its own. A gap in MODSEQ (the log no longer reaches back) is answered with
// one full `mailbox.open`, given to every watcher as a resync: never a silent skip.
//
// Protocol-agnostic: watchers decide what to tell their clients and when. The cache keeps no message data of its
// own yet (each IMAP view still holds its announced rows); it is the shared reader and fan-out point.
// Hints come through any `HintSource` (src/notify's buses satisfy it structurally; this layer does not import them).
import type { LogEntry, MailboxStatus, ResponseOf } from './api.js';
import type { MailStoreClient } from './client.js';
import { MailStoreError } from './errors.js';

export interface HintSource {
  subscribe(mailboxId: string, listener: (hint: { mailboxId: string; modseq: number }) => void): () => void;
}

export type OpenedMailbox = ResponseOf<'mailbox.open'>;

export interface MailboxWatcher {
  readonly mailboxId: string;
  /** The highest MODSEQ whose changes this watcher has taken in. */
  modseq(): number;
  /** A session token allowed to read the mailbox (the watcher's own). */
  token(): string;
  /** The mailbox's path as the watcher knows it (for a resync's reopen). */
  path(): string;
  /** Log entries read after the cache's read point; the watcher ignores those at or below its own modseq. */
  changes(entries: readonly LogEntry[], status: MailboxStatus): void;
  /** The log no longer reaches back to the watcher's modseq: the mailbox as it is now. */
  resync(opened: OpenedMailbox): void;
}

export interface MailboxCacheOptions {
  /** Safety poll of every watched mailbox's META, in ms (0: off). Covers lost hints. */
  pollMs: number;
  onError?: (err: unknown, mailboxId: string) => void;
}

interface Entry {
  readonly mailboxId: string;
  readonly watchers: Set<MailboxWatcher>;
  readonly unsubscribe: () => void;
  running: Promise<void> | null;
  again: boolean;
}

export class MailboxCache {
  private readonly entries = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout | undefined;
  /** Store reads made by the cache (tests and benchmarks check that one hint costs one read per process). */
  reads = 0;

  constructor(
    private readonly store: MailStoreClient,
    private readonly hints: HintSource | undefined,
    private readonly options: MailboxCacheOptions,
  ) {
    if (options.pollMs > 0) {
      this.timer = setInterval(() => void this.refreshAll(), options.pollMs);
      this.timer.unref();
    }
  }

  get watchedMailboxes(): number {
    return this.entries.size;
  }

  /** Starts delivering changes of `watcher.mailboxId` to `watcher`; call the result to stop. */
  watch(watcher: MailboxWatcher): () => void {
    let entry = this.entries.get(watcher.mailboxId);
    if (!entry) {
      const mailboxId = watcher.mailboxId;
      const unsubscribe = this.hints?.subscribe(mailboxId, (hint) => this.hinted(hint.mailboxId, hint.modseq)) ?? (() => undefined);
      entry = { mailboxId, watchers: new Set(), unsubscribe, running: null, again: false };
      this.entries.set(mailboxId, entry);
    }
    entry.watchers.add(watcher);
    const watched = entry;
    return () => {
      if (!watched.watchers.delete(watcher) || watched.watchers.size > 0) return;
      watched.unsubscribe();
      if (this.entries.get(watched.mailboxId) === watched) this.entries.delete(watched.mailboxId);
    };
  }

  /**
   * Reads the log of `mailboxId` once and hands it to every watcher. Concurrent calls coalesce: while a read runs,
   * any number of further requests cause exactly one more read after it.
   */
  refresh(mailboxId: string): Promise<void> {
    const entry = this.entries.get(mailboxId);
    if (!entry) return Promise.resolve();
    if (entry.running) {
      entry.again = true;
      return entry.running;
    }
    const running = this.run(entry).finally(() => {
      entry.running = null;
    });
    entry.running = running;
    return running;
  }

  /** Refreshes every watched mailbox (the safety poll; also after the hint bus reconnects). */
  async refreshAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((id) => this.refresh(id)));
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const entry of this.entries.values()) entry.unsubscribe();
    this.entries.clear();
  }

  private hinted(mailboxId: string, modseq: number): void {
    const entry = this.entries.get(mailboxId);
    if (!entry) return;
    // Our own commits come back as hints too; nothing to read when every watcher already has them.
    for (const w of entry.watchers) {
      if (w.modseq() < modseq) {
        void this.refresh(mailboxId);
        return;
      }
    }
  }

  private async run(entry: Entry): Promise<void> {
    do {
      entry.again = false;
      try {
        await this.readOnce(entry);
      } catch (err) {
        this.options.onError?.(err, entry.mailboxId);
      }
    } while (entry.again && entry.watchers.size > 0);
  }

  private async readOnce(entry: Entry): Promise<void> {
    const watchers = [...entry.watchers];
    if (watchers.length === 0) return;
    const since = Math.min(...watchers.map((w) => w.modseq()));
    const changes = await this.withToken(watchers, (token) => {
      this.reads++;
      return this.store.call('mailbox.changes', { token, mailboxId: entry.mailboxId, since });
    });
    if (!changes.resync) {
      if (changes.entries.length === 0) return;
      for (const w of entry.watchers) deliver(() => w.changes(changes.entries, changes.status), this.options, entry.mailboxId);
      return;
    }
    const opened = await this.withToken(watchers, (token) => {
      this.reads++;
      return this.store.call('mailbox.open', { token, path: watchers[0]!.path() });
    });
    // A rename between the watcher's SELECT and now: the path names another mailbox; the next read retries.
    if (opened.status.mailboxId !== entry.mailboxId) throw new Error('mailbox was renamed during a resync');
    for (const w of entry.watchers) deliver(() => w.resync(opened), this.options, entry.mailboxId);
  }

  /** Runs `call` with the first watcher's token that the store accepts (a session's token may have expired). */
  private async withToken<T>(watchers: readonly MailboxWatcher[], call: (token: string) => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (const w of watchers) {
      try {
        return await call(w.token());
      } catch (err) {
        if (err instanceof MailStoreError && err.code === 'UNAUTHORIZED') {
          lastError = err;
          continue;
        }
        throw err;
      }
    }
    throw lastError;
  }
}

function deliver(fn: () => void, options: MailboxCacheOptions, mailboxId: string): void {
  try {
    fn();
  } catch (err) {
    options.onError?.(err, mailboxId);
  }
}
