// The process's side of NOTIFY (RFC 5465) for mailboxes that are not selected, shared by every session of the
// process: one hint subscription per watched mailbox, per watched user and per tenant of a watched user, whatever
// the number of sessions, and reads coalesced. Hints that arrive within one turn of the event loop mark their mailbox
// (or user) dirty; one setImmediate for the whole process then reads each dirty one ONCE — a META read per mailbox
// and per user watching it (`mailbox.changes` from beyond the end of the log returns the status and no entries),
// a `mailbox.list` per user — and hands the result to every session of that user watching it. A hint that comes
// while a read runs causes exactly one more read after it. No timer per session; a session that watches nothing
// costs nothing here.
//
// The user-level hint (mailstore/user-hint.ts) comes after CREATE, DELETE, RENAME, (UN)SUBSCRIBE and an ACL change
// naming the user; the tenant-level hint after an ACL change naming `anyone` — it marks every watched user of the
// tenant, so one hint reaches them all, however many users the tenant has. The sessions diff the new list against
// what they knew (notify-session.ts) and decide what to send.
import type { MailboxListEntry, MailboxStatus } from '../../mailstore/api.js';
import type { MailStoreClient } from '../../mailstore/client.js';
import type { HintSource } from '../../mailstore/mailbox-cache.js';
import { MailStoreError } from '../../mailstore/errors.js';
import { tenantHintId, userHintId } from '../../mailstore/user-hint.js';

export interface MailboxStatusWatcher {
  readonly mailboxId: string;
  /** Whose rights the reads are made with: watchers of one user share a read, other users read for themselves. */
  readonly userId: string;
  /** A token allowed to read the mailbox (the session's own). */
  token(): string;
  changed(status: MailboxStatus): void;
  /** The mailbox can no longer be read with this watcher's token (deleted, or the right was taken away). */
  gone(): void;
}

export interface UserListWatcher {
  readonly userId: string;
  /** The user's tenant: a grant to `anyone` there is announced by the tenant-level hint. */
  readonly tenantId?: string;
  token(): string;
  /**
   * `read`: the number of the list read that found `mailboxes` (listReadsStarted when it began; later reads, higher
   * numbers), so a session can tell a list read after its own command from one read before (notify-session.ts).
   */
  changed(mailboxes: readonly MailboxListEntry[], read: number): void;
}

interface Entry<W> {
  readonly watchers: Set<W>;
  readonly unsubscribe: () => void;
  dirty: boolean;
  running: boolean;
}

interface MailboxEntry extends Entry<MailboxStatusWatcher> {
  /** The last status read per user (a new watcher's starting point without a read of its own). */
  readonly status: Map<string, MailboxStatus>;
}

interface TenantEntry {
  readonly users: Set<string>;
  readonly unsubscribe: () => void;
}

/** Far beyond any MODSEQ: `mailbox.changes` then reads META only (mailboxes.ts mailboxChanges). */
const END_OF_LOG = Number.MAX_SAFE_INTEGER;

export class NotifyHub {
  private readonly mailboxes = new Map<string, MailboxEntry>();
  private readonly users = new Map<string, Entry<UserListWatcher>>();
  private readonly tenants = new Map<string, TenantEntry>();
  private scheduled = false;
  private closed = false;
  /** Store reads made by the hub (tests check that a burst of hints costs one read per mailbox). */
  reads = 0;
  /** List reads (`mailbox.list`) begun so far: each read's number is this count when it begins, plus one. */
  private lists = 0;

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

  /**
   * How many list reads have begun. A list delivered with a higher number was read after this was asked, so it shows
   * every commit that had ended by then (the store reads strongly consistent, DESIGN.md).
   */
  get listReadsStarted(): number {
    return this.lists;
  }

  /** The last status the hub read for a watched mailbox with this user's rights, if any. */
  lastStatus(mailboxId: string, userId: string): MailboxStatus | undefined {
    return this.mailboxes.get(mailboxId)?.status.get(userId);
  }

  watchMailbox(watcher: MailboxStatusWatcher): () => void {
    const id = watcher.mailboxId;
    let entry = this.mailboxes.get(id);
    if (!entry) {
      const unsubscribe = this.hints?.subscribe(id, () => this.mark(this.mailboxes.get(id))) ?? (() => undefined);
      entry = { watchers: new Set(), unsubscribe, dirty: false, running: false, status: new Map() };
      this.mailboxes.set(id, entry);
    }
    entry.watchers.add(watcher);
    const watched = entry;
    return () => {
      if (!watched.watchers.delete(watcher)) return;
      if (watched.watchers.size > 0) {
        if (![...watched.watchers].some((w) => w.userId === watcher.userId)) watched.status.delete(watcher.userId);
        return;
      }
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
    const leaveTenant = watcher.tenantId === undefined ? () => undefined : this.joinTenant(watcher.tenantId, id);
    const watched = entry;
    return () => {
      if (!watched.watchers.delete(watcher)) return;
      leaveTenant();
      if (watched.watchers.size > 0) return;
      watched.unsubscribe();
      if (this.users.get(id) === watched) this.users.delete(id);
    };
  }

  /** Reads the user's mailbox list again soon (a session learnt it lost access to a mailbox: is it still listed?). */
  refreshUser(userId: string): void {
    this.mark(this.users.get(userId));
  }

  /** Reads every watched mailbox and user again (after the hint bus reconnects: hints may have been lost). */
  refreshAll(): void {
    for (const entry of this.mailboxes.values()) this.mark(entry);
    for (const entry of this.users.values()) this.mark(entry);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const entry of [...this.mailboxes.values(), ...this.users.values(), ...this.tenants.values()]) entry.unsubscribe();
    this.mailboxes.clear();
    this.users.clear();
    this.tenants.clear();
  }

  /** One subscription per tenant; its hint marks each of the tenant's watched users (counted per watcher). */
  private joinTenant(tenantId: string, userId: string): () => void {
    let tenant = this.tenants.get(tenantId);
    if (!tenant) {
      const users = new Set<string>();
      const unsubscribe =
        this.hints?.subscribe(tenantHintId(tenantId), () => {
          for (const u of users) this.mark(this.users.get(u));
        }) ?? (() => undefined);
      tenant = { users, unsubscribe };
      this.tenants.set(tenantId, tenant);
    }
    tenant.users.add(userId);
    const joined = tenant;
    return () => {
      // The user's last watcher gone: the tenant forgets the user; the tenant's last user gone: unsubscribe.
      if ((this.users.get(userId)?.watchers.size ?? 0) > 0) return;
      joined.users.delete(userId);
      if (joined.users.size > 0) return;
      joined.unsubscribe();
      if (this.tenants.get(tenantId) === joined) this.tenants.delete(tenantId);
    };
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

  /**
   * One read per user watching the mailbox, with that user's own token: a user's sessions share it, and no session
   * is ever handed a status read with someone else's rights. A user who can no longer read it is told so (gone).
   */
  private async readMailbox(mailboxId: string, entry: MailboxEntry): Promise<void> {
    const byUser = new Map<string, MailboxStatusWatcher[]>();
    for (const w of entry.watchers) {
      const group = byUser.get(w.userId);
      if (group) group.push(w);
      else byUser.set(w.userId, [w]);
    }
    const failures: unknown[] = [];
    await Promise.all(
      [...byUser].map(async ([userId, group]) => {
        try {
          await this.readFor(mailboxId, entry, userId, group);
        } catch (err) {
          failures.push(err);
        }
      }),
    );
    if (failures.length > 0) throw failures[0];
  }

  private async readFor(mailboxId: string, entry: MailboxEntry, userId: string, group: readonly MailboxStatusWatcher[]): Promise<void> {
    for (const watcher of group) {
      let status: MailboxStatus;
      try {
        this.reads++;
        status = (await this.store.call('mailbox.changes', { token: watcher.token(), mailboxId, since: END_OF_LOG })).status;
      } catch (err) {
        if (!(err instanceof MailStoreError)) throw err;
        // This session's token expired: another session of the user may still read.
        if (err.code === 'UNAUTHORIZED') continue;
        if (err.code !== 'NONEXISTENT' && err.code !== 'NOPERM') throw err;
        entry.status.delete(userId);
        for (const w of group) if (entry.watchers.has(w)) deliver(() => w.gone(), this.onError, mailboxId);
        return;
      }
      if (entry.watchers.size > 0) entry.status.set(userId, status);
      for (const w of group) if (entry.watchers.has(w)) deliver(() => w.changed(status), this.onError, mailboxId);
      return;
    }
  }

  private async readUser(entry: Entry<UserListWatcher>): Promise<void> {
    let lastError: unknown;
    for (const watcher of [...entry.watchers]) {
      try {
        this.reads++;
        const read = ++this.lists;
        const { mailboxes } = await this.store.call('mailbox.list', { token: watcher.token() });
        for (const w of [...entry.watchers]) deliver(() => w.changed(mailboxes, read), this.onError, w.userId);
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
