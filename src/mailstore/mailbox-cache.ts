// The frontend's per-process mailbox cache (DESIGN.md "The frontend", storage-design §C5/§C9): one entry per mailbox
// that some local session has open. On a change hint — or on the slow safety poll of META — the process reads the
// change log ONCE per mailbox and hands the entries to every local watcher (an IMAP session's view, later POP3),
// instead of each session polling on its own. A gap in MODSEQ (the log no longer reaches back) is answered with
// one full `mailbox.open`, given to every watcher as a resync: never a silent skip.
//
// Protocol-agnostic: watchers decide what to tell their clients and when. The cache also keeps a snapshot of each
// mailbox's hot items (bounded, least recently used out), so a SELECT of a mailbox this process has seen costs a
// name and a META read plus the log tail since the snapshot (`mailbox.reopen`) instead of reading every hot item
// again (storage-design §D2 "SELECT, frontend-cached"). A mailbox not held yet is loaded from its index snapshot
// when the store has one (one blob GET straight into typed arrays, snapshots.ts). Snapshots are HotColumns shared
// with the sessions' views, copied on write (hot-columns.ts), so a 1M-message mailbox is held once, not per session.
// Hints come through any `HintSource` (src/notify's buses satisfy it structurally; this layer does not import them).
// A hint may carry its commit's change (the log entry and status after it): taken like an own commit (committed) by
// the snapshot and the watchers it follows exactly, so another frontend's small write costs this process no read.
import type { LogEntry, MailboxStatus, OwnChange, ResponseOf } from './api.js';
import type { MailStoreClient } from './client.js';
import { MailStoreError } from './errors.js';
import { HotColumns, applyEntriesToColumns } from './hot-columns.js';
import { BlobNotFoundError } from '../storage/errors.js';
import { SnapshotFormatError } from './index-snapshot.js';

export interface HintSource {
  subscribe(mailboxId: string, listener: (hint: { mailboxId: string; modseq: number; change?: OwnChange }) => void): () => void;
}

export type OpenedMailbox = ResponseOf<'mailbox.open'>;

/** What `MailboxCache.open` answers: the mailbox with its messages as columns shared with the cache (never change them). */
export interface CachedMailbox {
  status: MailboxStatus;
  blobPrefix: string;
  rights?: string;
  columns: HotColumns;
}

interface Snapshot {
  status: MailboxStatus;
  blobPrefix: string;
  columns: HotColumns;
  /**
   * Commits of this process's own sessions after `status` (committed), not applied to `columns` yet: dense from
   * `status.highestModseq + 1` on, `tail.status` the mailbox after the last. Applied on the next SELECT or log read
   * (fold), so a writer alone on a big mailbox does not copy its columns per STORE.
   */
  tail?: OwnChange;
}

/** The MODSEQ a snapshot stands at, its pending own commits included. */
const modseqOf = (snapshot: Snapshot): number => snapshot.tail?.status.highestModseq ?? snapshot.status.highestModseq;

export interface MailboxWatcher {
  readonly mailboxId: string;
  /** The highest MODSEQ whose changes this watcher has taken in. */
  modseq(): number;
  /** A session token allowed to read the mailbox (the watcher's own). */
  token(): string;
  /** The mailbox's path as the watcher knows it (for a resync's reopen). */
  path(): string;
  /**
   * Log entries read after the cache's read point; the watcher ignores those at or below its own modseq. `advance`,
   * when given, is the same read already applied once by the cache to its snapshot (SharedAdvance).
   */
  changes(entries: readonly LogEntry[], status: MailboxStatus, advance?: SharedAdvance): void;
  /** The log no longer reaches back to the watcher's modseq: the mailbox as it is now. */
  resync(opened: OpenedMailbox): void;
}

/**
 * One read of the log, applied once by the cache to its snapshot, for watchers that hold exactly that snapshot: with
 * thousands of sessions idling on one mailbox (issue 5), each takes `to` — one copy made per read — instead of
 * copying its columns and inserting the same rows itself, and a session's work per hint stays independent of the
 * mailbox's size. Offered only when the read is all appends (new UIDs above `from`'s last) or all flag changes.
 */
export interface SharedAdvance {
  /** The snapshot's columns before the read (shared with the sessions that opened the mailbox since). */
  readonly from: HotColumns;
  /** The MODSEQ `from` is as of: a watcher at another MODSEQ must apply the entries itself. */
  readonly fromModseq: number;
  /** `from` with the read's entries above `fromModseq` applied; shared (copy before changing). */
  readonly to: HotColumns;
  readonly kind: 'append' | 'flags';
  /** For 'flags': the UIDs of `from` whose flags the read changed (each newer than what `from` held). */
  readonly changedUids: readonly number[];
  /** Every keyword the read's entries carry. */
  readonly keywords: readonly string[];
}

export interface MailboxCacheOptions {
  /** Safety poll of every watched mailbox's META, in ms (0: off). Covers lost hints. */
  pollMs: number;
  onError?: (err: unknown, mailboxId: string) => void;
  /** Bounds of the snapshots kept for cheap re-SELECTs (defaults: 256 mailboxes, 2,000,000 messages in all). */
  maxSnapshots?: number;
  maxSnapshotMessages?: number;
}

interface Entry {
  readonly mailboxId: string;
  readonly watchers: Set<MailboxWatcher>;
  readonly unsubscribe: () => void;
  running: Promise<void> | null;
  again: boolean;
  /** The highest MODSEQ hinted whose look (hinted) is still to come; 0 when none is pending. */
  hinted: number;
  /** Changes the hints of that look carried (in arrival order), taken in by the look before it judges. */
  hintedChanges: OwnChange[];
  /** That look, pending: resolves once it has run (and started the log read, when one was needed). */
  look: Promise<void> | null;
  /** A commit of our own still being handed to watchers (committed): the look waits for it before it judges. */
  delivering: Promise<void> | null;
}

export class MailboxCache {
  private readonly entries = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout | undefined;
  /** Store reads made by the cache (tests and benchmarks check that one hint costs one read per process). */
  reads = 0;
  /** Watchers handed a read (changes or resync) so far. */
  deliveries = 0;
  /** mailboxId → the mailbox as of `status.highestModseq`; Map order is least recently used first. */
  private readonly snapshots = new Map<string, Snapshot>();
  private snapshotMessages = 0;
  /** `user \n path` → the mailboxId it named when last opened (a hint only: `mailbox.reopen` checks it). */
  private readonly paths = new Map<string, string>();

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

  /**
   * The mailbox at `path` for a session of `user` (any string naming whose paths these are). The columns are shared
   * with the cache: a holder that changes them takes `writable()` first.
   */
  async open(user: string, token: string, path: string): Promise<CachedMailbox> {
    const key = `${user}\n${path}`;
    const mailboxId = this.paths.get(key);
    const snapshot = mailboxId === undefined ? undefined : this.snapshots.get(mailboxId);
    if (mailboxId === undefined || snapshot === undefined) return this.load(key, token, path);
    // Our own sessions' commits since the snapshot are held (tail): the store is asked only for what came after.
    const since = modseqOf(snapshot);
    const reopened = await this.store.call('mailbox.reopen', { token, path, mailboxId, since });
    if (reopened.messages !== undefined) {
      const columns = HotColumns.fromHotList(reopened.messages);
      return this.remember(key, { status: reopened.status, blobPrefix: reopened.blobPrefix, columns }, reopened.rights);
    }
    this.advance(mailboxId, since, reopened.entries, reopened.status);
    const current = this.snapshots.get(mailboxId) ?? snapshot;
    // The tail, when the answer had nothing newer (advance folds it only when it moves the snapshot).
    this.fold(current);
    // Most recently used last.
    this.snapshots.delete(mailboxId);
    this.snapshots.set(mailboxId, current);
    // Who asked decides the path (shared folders have one per user) and the rights; the snapshot the rest.
    const status = { ...current.status, keywords: current.status.keywords.slice(), path: reopened.status.path };
    return { status, blobPrefix: reopened.blobPrefix, columns: current.columns.share(), ...rightsOf(reopened.rights) };
  }

  /** A mailbox this process does not hold: from the store's index snapshot when there is one, else the hot items. */
  private async load(key: string, token: string, path: string): Promise<CachedMailbox> {
    const opened = await this.store.call('mailbox.open', { token, path, acceptSnapshot: true });
    let columns: HotColumns;
    if (opened.snapshot) {
      try {
        columns = await this.store.readIndexSnapshot(opened.snapshot);
      } catch (err) {
        // Superseded and swept between the pointer read and the GET (snapshots.ts keeps them a grace period), or
        // damaged: the hot items are the truth, the snapshot only a faster way to them.
        if (!(err instanceof BlobNotFoundError) && !(err instanceof SnapshotFormatError)) throw err;
        const full = await this.store.call('mailbox.open', { token, path });
        return this.remember(key, { status: full.status, blobPrefix: full.blobPrefix, columns: HotColumns.fromHotList(full.messages) }, full.rights);
      }
    } else {
      columns = HotColumns.fromHotList(opened.messages);
    }
    return this.remember(key, { status: opened.status, blobPrefix: opened.blobPrefix, columns }, opened.rights);
  }

  private remember(key: string, snapshot: Snapshot, rights: string | undefined): CachedMailbox {
    const mailboxId = snapshot.status.mailboxId;
    this.paths.delete(key);
    this.paths.set(key, mailboxId);
    if (this.paths.size > 4 * this.maxSnapshots) this.paths.delete(this.paths.keys().next().value as string);
    this.store_(mailboxId, snapshot);
    const status = { ...snapshot.status, keywords: snapshot.status.keywords.slice() };
    return { status, blobPrefix: snapshot.blobPrefix, columns: snapshot.columns.share(), ...rightsOf(rights) };
  }

  private get maxSnapshots(): number {
    return this.options.maxSnapshots ?? 256;
  }

  private store_(mailboxId: string, snapshot: Snapshot): void {
    const old = this.snapshots.get(mailboxId);
    if (old) {
      // A slower reader must not replace a newer snapshot with an older one.
      if (modseqOf(old) > snapshot.status.highestModseq) return;
      this.snapshotMessages -= old.columns.length;
      this.snapshots.delete(mailboxId);
    }
    this.snapshots.set(mailboxId, snapshot);
    this.snapshotMessages += snapshot.columns.length;
    const maxMessages = this.options.maxSnapshotMessages ?? 2_000_000;
    while (this.snapshots.size > 1 && (this.snapshots.size > this.maxSnapshots || this.snapshotMessages > maxMessages)) {
      const [oldest, evicted] = this.snapshots.entries().next().value as [string, Snapshot];
      this.snapshots.delete(oldest);
      this.snapshotMessages -= evicted.columns.length;
    }
  }

  /**
   * Moves a snapshot forward with log entries that cover (since, status.highestModseq]. Returns the move as a
   * SharedAdvance when views may hold the columns it started from and the entries qualify.
   */
  private advance(mailboxId: string, since: number, entries: readonly LogEntry[], status: MailboxStatus): SharedAdvance | undefined {
    const snapshot = this.snapshots.get(mailboxId);
    if (!snapshot) return undefined;
    this.fold(snapshot);
    const at = snapshot.status.highestModseq;
    // Entries from `since` on say nothing about (at, since] when the snapshot is older than `since`.
    if (at < since || status.highestModseq <= at) return undefined;
    const from = snapshot.columns;
    const before = from.length;
    const newer = entries.filter((e) => e.modseq > at);
    const shape = advanceShape(from, newer);
    // Sessions' views may hold these columns: change a private copy (copy on write).
    snapshot.columns = from.writable();
    applyEntriesToColumns(snapshot.columns, newer);
    snapshot.status = status;
    this.snapshotMessages += snapshot.columns.length - before;
    // Columns nobody shares were changed in place: no view can hold them.
    if (!shape || snapshot.columns === from) return undefined;
    return { from, fromModseq: at, to: snapshot.columns.share(), ...shape };
  }

  /** Applies a snapshot's tail of own commits to its columns (copy on write, as advance). */
  private fold(snapshot: Snapshot): void {
    const tail = snapshot.tail;
    if (!tail) return;
    snapshot.tail = undefined;
    const before = snapshot.columns.length;
    const at = snapshot.status.highestModseq;
    snapshot.columns = snapshot.columns.writable();
    applyEntriesToColumns(snapshot.columns, tail.entries.filter((e) => e.modseq > at));
    snapshot.status = tail.status;
    this.snapshotMessages += snapshot.columns.length - before;
  }

  /**
   * A commit a session of this process made, as the store answered it (OwnChange: its log entries, dense, and the
   * status after them), so that neither the process's copy of the mailbox nor its other sessions read the log for
   * it: the snapshot takes it when it stands exactly before the first entry (or within them), and so does every
   * watcher — the writer's own view took its result already and is past it. Anyone further behind is left to the
   * commit's hint and the log read it starts (hinted): the chain of MODSEQs decides, the log stays the truth.
   * A hint that carries its commit's change (another process's commit, or ours before its answer) is taken here too.
   */
  committed(change: OwnChange): void {
    const { entries, status } = change;
    const first = entries[0]?.modseq;
    const last = status.highestModseq;
    if (first === undefined || !entries.every((e, i) => e.modseq === first + i) || entries[entries.length - 1]!.modseq !== last) return;
    const mailboxId = status.mailboxId;
    const entry = this.entries.get(mailboxId);
    const waiting: MailboxWatcher[] = [];
    for (const w of entry?.watchers ?? []) {
      const at = w.modseq();
      if (at >= first - 1 && at < last) waiting.push(w);
    }
    const snapshot = this.snapshots.get(mailboxId);
    let shared: SharedAdvance | undefined;
    if (snapshot && modseqOf(snapshot) >= first - 1 && modseqOf(snapshot) < last) {
      if (waiting.length > 0) {
        // Sessions hold the snapshot's columns: move it now and hand them the move (SharedAdvance), as a log read does.
        shared = this.advance(mailboxId, first - 1, entries, status);
      } else {
        const tail = snapshot.tail;
        const newer = entries.filter((e) => e.modseq > modseqOf(snapshot));
        snapshot.tail = { entries: tail ? [...tail.entries, ...newer] : newer, status };
        if (snapshot.tail.entries.length > MAX_TAIL_ENTRIES) this.fold(snapshot);
      }
    }
    if (!entry || waiting.length === 0) return;
    const delivering = this.deliverAll(entry, (w) => w.changes(entries, status, shared), waiting);
    // Past the first batch, delivery yields: the commit's hint must not find the watchers not visited yet behind.
    const done = delivering.finally(() => {
      if (entry.delivering === done) entry.delivering = null;
    });
    entry.delivering = done;
  }

  /** Starts delivering changes of `watcher.mailboxId` to `watcher`; call the result to stop. */
  watch(watcher: MailboxWatcher): () => void {
    let entry = this.entries.get(watcher.mailboxId);
    if (!entry) {
      const mailboxId = watcher.mailboxId;
      const unsubscribe = this.hints?.subscribe(mailboxId, (hint) => this.hinted(hint.mailboxId, hint.modseq, hint.change)) ?? (() => undefined);
      entry = { mailboxId, watchers: new Set(), unsubscribe, running: null, again: false, hinted: 0, hintedChanges: [], look: null, delivering: null };
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

  /**
   * Resolves once the log read running for `mailboxId` now (if any) is done. A session that just committed (APPEND)
   * waits for the read its own commit's hint started, instead of reading the same log entries a second time.
   */
  settled(mailboxId: string): Promise<void> {
    const entry = this.entries.get(mailboxId);
    if (!entry) return Promise.resolve();
    // A hint whose look is still to come (hinted): the read it may start is the one to wait for.
    if (entry.look) return entry.look.then(() => entry.running ?? undefined);
    return entry.running ?? Promise.resolve();
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

  private hinted(mailboxId: string, modseq: number, change?: OwnChange): void {
    const entry = this.entries.get(mailboxId);
    if (!entry) return;
    // Our own commits come back as hints too, and an in-process hint arrives before the writing session has taken
    // in its commit's result (afterOwnWrite, in the microtasks of the same turn): look once those have run, so a
    // session's own STORE, EXPUNGE or APPEND costs no log read when nobody else in this process needs it. Hints of
    // one turn share that one look.
    if (modseq > entry.hinted) entry.hinted = modseq;
    // Only a change that is this hint's (ending at its MODSEQ) is kept; committed() checks the chain.
    if (change !== undefined && change.status.mailboxId === mailboxId && change.status.highestModseq === modseq) entry.hintedChanges.push(change);
    if (entry.look) return;
    entry.look = new Promise<void>((resolve) => {
      const look = () => {
        // The hints' changes first, as own commits are taken (committed): the snapshot and every watcher standing
        // exactly before one take it; a watcher further behind (a commit missed) stays behind and has the log read
        // below. With the Lambda invoker another process's hint — or our own, sent by the function before it
        // answered — can come before the writing session has its answer: then its view takes the change here, and
        // its answer finds the view past it (freshness.ts takeOwnCommit, mailbox-view.ts removeNow), as after a
        // log read that was quicker than the answer.
        const changes = entry.hintedChanges;
        if (changes.length > 0) {
          entry.hintedChanges = [];
          // In MODSEQ order, so a burst's changes chain (buses keep a channel's order, but two buses may interleave).
          changes.sort((a, b) => a.status.highestModseq - b.status.highestModseq);
          for (const change of changes) this.committed(change);
          // A long hand-out (thousands of watchers, delivered in batches) is waited for before judging.
          if (entry.delivering) {
            void entry.delivering.then(look);
            return;
          }
        }
        const hinted = entry.hinted;
        entry.hinted = 0;
        entry.look = null;
        for (const w of entry.watchers) {
          if (w.modseq() < hinted) {
            void this.refresh(mailboxId);
            break;
          }
        }
        resolve();
      };
      // The writer hands its commit to the other watchers (committed) in the same turn it takes its result; a long
      // hand-out (thousands of watchers) is waited for, so that its commit is not read back for them.
      setImmediate(() => {
        if (entry.delivering) void entry.delivering.then(look);
        else look();
      });
    });
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
    // One pass, no copies: with 10,000 sessions on a mailbox this runs before the first of them hears of the hint.
    const watchers = entry.watchers;
    let since = Infinity;
    for (const w of watchers) since = Math.min(since, w.modseq());
    if (since === Infinity) return;
    const changes = await this.withToken(watchers, (token) => {
      this.reads++;
      return this.store.call('mailbox.changes', { token, mailboxId: entry.mailboxId, since });
    });
    if (!changes.resync) {
      if (changes.entries.length === 0) return;
      const shared = this.advance(entry.mailboxId, since, changes.entries, changes.status);
      await this.deliverAll(entry, (w) => w.changes(changes.entries, changes.status, shared));
      return;
    }
    const first = watchers.values().next().value;
    if (!first) return;
    const opened = await this.withToken(watchers, (token) => {
      this.reads++;
      return this.store.call('mailbox.open', { token, path: first.path() });
    });
    // A rename between the watcher's SELECT and now: the path names another mailbox; the next read retries.
    if (opened.status.mailboxId !== entry.mailboxId) throw new Error('mailbox was renamed during a resync');
    this.store_(entry.mailboxId, { status: opened.status, blobPrefix: opened.blobPrefix, columns: HotColumns.fromHotList(opened.messages) });
    await this.deliverAll(entry, (w) => w.resync(opened));
  }

  /**
   * Hands one read to every watcher, DELIVERY_BATCH of them per turn of the event loop: with thousands of sessions
   * on one mailbox (idling clients), the sockets of the first batches are written — and other connections served —
   * before the last watchers are visited, instead of after all of them. The live set is walked: a watcher that
   * leaves meanwhile is skipped, one that joins meanwhile is included.
   */
  private async deliverAll(entry: Entry, fn: (w: MailboxWatcher) => void, only?: readonly MailboxWatcher[]): Promise<void> {
    let n = 0;
    for (const w of only ?? entry.watchers) {
      // A given list (committed): a watcher that left meanwhile is skipped.
      if (only && !entry.watchers.has(w)) continue;
      try {
        fn(w);
      } catch (err) {
        this.options.onError?.(err, entry.mailboxId);
      }
      if (++n % DELIVERY_BATCH === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.deliveries += n;
  }

  /** Runs `call` with the first watcher's token that the store accepts (a session's token may have expired). */
  private async withToken<T>(watchers: Iterable<MailboxWatcher>, call: (token: string) => Promise<T>): Promise<T> {
    let lastError: unknown;
    // The live set, walked lazily: usually the first token serves and nothing is copied.
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

/**
 * Whether entries (all above `from`'s MODSEQ) can be handed to views as a SharedAdvance, and what a view needs to
 * know besides the new columns; undefined for a mix, expunges or anything unusual (views then apply the entries).
 */
function advanceShape(from: HotColumns, entries: readonly LogEntry[]): Pick<SharedAdvance, 'kind' | 'changedUids' | 'keywords'> | undefined {
  if (entries.length === 0) return undefined;
  const keywords = new Set<string>();
  if (entries.every((e) => e.op === 'A')) {
    let last = from.lastUid();
    for (const e of entries) {
      const a = (e as Extract<LogEntry, { op: 'A' }>).added;
      for (let i = 0; i < a.uids.length; i++) {
        // Ascending and above every UID held (I1): then a view's insert gives exactly what applyEntriesToColumns gives.
        if (a.uids[i]! <= last || a.modseqs[i] === undefined) return undefined;
        last = a.uids[i]!;
        for (const k of a.keywords[i] ?? []) keywords.add(k);
      }
    }
    return { kind: 'append', changedUids: [], keywords: [...keywords] };
  }
  if (entries.every((e) => e.op === 'F')) {
    const changed = new Set<number>();
    // Each entry applies where it is newer than the row (mailbox-view.ts queueFlags, applyEntriesToColumns).
    const modseqOf = new Map<number, number>();
    for (const e of entries as readonly Extract<LogEntry, { op: 'F' }>[]) {
      e.uids.forEach((uid, n) => {
        const at = from.indexOfUid(uid);
        if (at >= 0) {
          const held = modseqOf.get(uid) ?? from.modseqAt(at);
          if (held >= e.modseq) return;
          modseqOf.set(uid, e.modseq);
          changed.add(uid);
        }
        for (const k of e.keywords[n] ?? []) keywords.add(k);
      });
    }
    return { kind: 'flags', changedUids: [...changed], keywords: [...keywords] };
  }
  return undefined;
}

function rightsOf(rights: string | undefined): { rights?: string } {
  return rights === undefined ? {} : { rights };
}

/** Own commits a snapshot holds unapplied (Snapshot.tail) before they are folded into its columns. */
const MAX_TAIL_ENTRIES = 64;

/** Watchers handed a read per turn of the event loop (deliverAll). */
const DELIVERY_BATCH = 256;
