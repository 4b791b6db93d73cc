// The process's side of NOTIFY (RFC 5465) for mailboxes that are not selected, shared by every session of the
// process: one hint subscription per watched mailbox and per watched user, whatever the number of sessions, and
// reads coalesced. Hints that arrive within one turn of the event loop mark their mailbox (or user) dirty; one
// setImmediate for the whole process then reads each dirty one ONCE — a META read (`mailbox.changes` from beyond
// the end of the log returns the status and no entries) per mailbox, a `mailbox.list` per user — and hands the
// result to every session watching it. A hint that comes while a read runs causes exactly one more read after it.
// No timer per session; a session that watches nothing costs nothing here.
//
// The user-level hint (mailstore/user-hint.ts) comes after CREATE, DELETE, RENAME and (UN)SUBSCRIBE; the sessions
// diff the new list against what they knew (notify-session.ts) and decide what to send.
import type { MailboxListEntry, MailboxStatus } from '../../mailstore/api.js';
import type { MailStoreClient } from '../../mailstore/client.js';
import type { HintSource } from '../../mailstore/mailbox-cache.js';
import { MailStoreError } from '../../mailstore/errors.js';
import { userHintId } from '../../mailstore/user-hint.js';

export interface MailboxStatusWatcher {
  readonly mailboxId: string;
  /** A token allowed to read the mailbox (the session's own). */
  token(): string;
  changed(status: MailboxStatus): void;
  /** The mailbox can no longer be read with this watcher's token (deleted, or the right was taken away). */
  gone(): void;
}

export interface UserListWatcher {
  readonly userId: string;
  token(): string;
  changed(mailboxes: readonly MailboxListEntry[]): void;
}

interface Entry<W> {
  readonly watchers: Set<W>;
  readonly unsubscribe: () => void;
  dirty: boolean;
  running: boolean;
}

interface MailboxEntry extends Entry<MailboxStatusWatcher> {
  /** The last status read (a new watcher's starting point without a read of its own). */
  status: MailboxStatus | undefined;
}

/** Far beyond any MODSEQ: `mailbox.changes` then reads META only (mailboxes.ts mailboxChanges). */
const END_OF_LOG = Number.MAX_SAFE_INTEGER;

export class NotifyHub {
  private readonly mailboxes = new Map<string, MailboxEntry>();
  private readonly users = new Map<string, Entry<UserListWatcher>>();
  private scheduled = false;
  private closed = false;
  /** Store reads made by the hub (tests check that a burst of hints costs one read per mailbox). */
  reads = 0;

  private readonly timer: NodeJS.Timeout | undefined;

  /** `pollMs` > 0: a safety poll of everything watched, one timer for the process (a lost hint is found then). */
  constructor(
    private readonly store: MailStoreClient,
    private readonly hints: HintSource | undefined,
    private readonly onError: (err: unknown, id: string) => void = () => undefined,
    pollMs = 0,
  ) {
    if (pollMs > 0) {
      this.timer = setInterval(() => this.refreshAll(), pollMs);
      this.timer.unref();
    }
  }

  get watchedMailboxes(): number {
    return this.mailboxes.size;
  }

  /** The last status the hub read for a watched mailbox, if any. */
  lastStatus(mailboxId: string): MailboxStatus | undefined {
    return this.mailboxes.get(mailboxId)?.status;
  }

  watchMailbox(watcher: MailboxStatusWatcher): () => void {
    const id = watcher.mailboxId;
    let entry = this.mailboxes.get(id);
    if (!entry) {
      const unsubscribe = this.hints?.subscribe(id, () => this.mark(this.mailboxes.get(id))) ?? (() => undefined);
      entry = { watchers: new Set(), unsubscribe, dirty: false, running: false, status: undefined };
      this.mailboxes.set(id, entry);
    }
    entry.watchers.add(watcher);
    const watched = entry;
    return () => {
      if (!watched.watchers.delete(watcher) || watched.watchers.size > 0) return;
      watched.unsubscribe();
      if (this.mailboxes.get(id) === watched) this.mailboxes.delete(id);
    };
  }

  watchUser(watcher: UserListWatcher): () => void {
    const id = watcher.userId;
    let entry = this.users.get(id);
    if (!entry) {
      const unsubscribe = this.hints?.subscribe(userHintId(id), () => this.mark(this.users.get(id))) ?? (() => undefined);
      entry = { watchers: new Set(), unsubscribe, dirty: false, running: false };
      this.users.set(id, entry);
    }
    entry.watchers.add(watcher);
    const watched = entry;
    return () => {
      if (!watched.watchers.delete(watcher) || watched.watchers.size > 0) return;
      watched.unsubscribe();
      if (this.users.get(id) === watched) this.users.delete(id);
    };
  }

  /** Reads every watched mailbox and user again (after the hint bus reconnects: hints may have been lost). */
  refreshAll(): void {
    for (const entry of this.mailboxes.values()) this.mark(entry);
    for (const entry of this.users.values()) this.mark(entry);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const entry of [...this.mailboxes.values(), ...this.users.values()]) entry.unsubscribe();
    this.mailboxes.clear();
    this.users.clear();
  }

  private mark(entry: Entry<unknown> | undefined): void {
    if (!entry || this.closed) return;
    entry.dirty = true;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  /** One pass over what was hinted since the last pass: each dirty entry is read once. */
  private drain(): void {
    this.scheduled = false;
    for (const [id, entry] of this.mailboxes) if (entry.dirty && !entry.running) void this.run(id, entry, () => this.readMailbox(id, entry));
    for (const [id, entry] of this.users) if (entry.dirty && !entry.running) void this.run(id, entry, () => this.readUser(entry));
  }

  private async run(id: string, entry: Entry<unknown>, read: () => Promise<void>): Promise<void> {
    entry.running = true;
    entry.dirty = false;
    try {
      await read();
    } catch (err) {
      this.onError(err, id);
    } finally {
      entry.running = false;
      // Hinted again while reading: one more read, in the next pass.
      if (entry.dirty) {
        entry.dirty = false;
        this.mark(entry);
      }
    }
  }

  private async readMailbox(mailboxId: string, entry: MailboxEntry): Promise<void> {
    // Each watcher reads with its own token until one succeeds: a watcher whose token cannot read any more is told
    // so (and never gets a status read with someone else's rights).
    for (const watcher of [...entry.watchers]) {
      let status: MailboxStatus;
      try {
        this.reads++;
        status = (await this.store.call('mailbox.changes', { token: watcher.token(), mailboxId, since: END_OF_LOG })).status;
      } catch (err) {
        if (!(err instanceof MailStoreError) || (err.code !== 'NONEXISTENT' && err.code !== 'NOPERM' && err.code !== 'UNAUTHORIZED')) throw err;
        deliver(() => watcher.gone(), this.onError, mailboxId);
        continue;
      }
      entry.status = status;
      for (const w of [...entry.watchers]) deliver(() => w.changed(status), this.onError, mailboxId);
      return;
    }
  }

  private async readUser(entry: Entry<UserListWatcher>): Promise<void> {
    let lastError: unknown;
    for (const watcher of [...entry.watchers]) {
      try {
        this.reads++;
        const { mailboxes } = await this.store.call('mailbox.list', { token: watcher.token() });
        for (const w of [...entry.watchers]) deliver(() => w.changed(mailboxes), this.onError, w.userId);
        return;
      } catch (err) {
        lastError = err;
        if (!(err instanceof MailStoreError) || err.code !== 'UNAUTHORIZED') throw err;
      }
    }
    if (lastError !== undefined) throw lastError;
  }
}

function deliver(fn: () => void, onError: (err: unknown, id: string) => void, id: string): void {
  try {
    fn();
  } catch (err) {
    onError(err, id);
  }
}
