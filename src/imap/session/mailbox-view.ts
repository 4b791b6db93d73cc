// The per-session view of the selected mailbox (storage-design §C5): the messages this session has announced, in
// UID order (index i is sequence number i+1), with their flags, sizes, dates and emailIds, so FETCH of FLAGS, UID,
// RFC822.SIZE and INTERNALDATE costs no store call. Changes learned from the log are queued and released by
// `flush` following RFC 3501 §7.4.1: EXPUNGE never while answering FETCH, STORE or SEARCH (only their UID forms),
// because the client's sequence numbers must not shift under a command that uses them. The messages are typed-array
// columns (mailstore/hot-columns.ts) shared with the process's mailbox cache until either side changes them (copy
// on write), so SELECT of a 1M-message mailbox adds no per-message objects.
import type { HotList, LogEntry, MailboxStatus } from '../../mailstore/api.js';
import { flagNames } from '../../mailstore/flags.js';
import { HotColumns } from '../../mailstore/hot-columns.js';
import type { SharedAdvance } from '../../mailstore/mailbox-cache.js';
import { sequenceSetHas, expandSequenceSet } from '../types.js';
import type { SequenceSet } from '../types.js';
import { isRev2, isUidOnly } from './revision.js';

/** What a flush asks the session to send, in order. Pure data: the encoder writes it. */
export type ViewUpdate =
  | { kind: 'expunge'; seq: number }
  /** QRESYNC enabled: expunges are announced as `* VANISHED uids` instead (RFC 7162 §3.2.10). */
  | { kind: 'vanished'; uids: number[] }
  | { kind: 'exists'; count: number }
  | { kind: 'recent'; count: number }
  /** `modseq` is set once CONDSTORE is enabled: unsolicited FETCH then carries MODSEQ (RFC 7162 §3.1.4.1). */
  | { kind: 'fetch'; seq: number; uid: number; flags: string[]; modseq?: number; uidFetch?: boolean }
  | { kind: 'flags'; flags: string[] };

export interface MessageRow {
  /** Index into the view (sequence number − 1). */
  index: number;
  seq: number;
  uid: number;
}

export class MailboxView {
  readonly mailboxId: string;
  readonly path: string;
  readonly readOnly: boolean;
  readonly blobPrefix: string;
  uidValidity: number;
  uidNext: number;
  /** The highest MODSEQ whose changes this view has taken in (announced or queued). */
  modseq: number;
  keywords: string[];
  /**
   * The SEARCHRES saved result `$` (RFC 5182 §2.1) as UIDs: it lives as long as the view (reset by SELECT, EXAMINE,
   * UNSELECT, CLOSE), and an expunged message leaves it because `resolve` only names UIDs still in the view.
   */
  savedUids: number[] = [];

  /** The announced messages in UID order; possibly shared with the mailbox cache: `writable()` before a change. */
  private rows: HotColumns;
  /**
   * \Recent (RFC 3501 §2.3.2): the UIDs this session won by claiming the mailbox's recent floor (session/recent.ts),
   * so exactly one session sees a new message as recent. A rev2 session has none (RFC 9051 Appendix E item 12).
   */
  /**
   * Held as the UID ranges [from, to) this session claimed: a message in the view whose UID is in one is recent
   * (pending ones once announced). Ranges, not a set of UIDs: a first SELECT of a 1M-message mailbox claims them all.
   */
  private readonly recentRanges: [number, number][] = [];
  /** The UID up to which (exclusive) this session has claimed. */
  recentClaimedTo = 0;

  /** Expunged by someone, not yet announced: the ghost keeps its sequence number until then. */
  private readonly ghosts = new Set<number>();
  private pendingAdded: HotList = emptyList();
  /**
   * New messages learned through the mailbox cache's SharedAdvance and not yet announced, held as the cache's columns:
   * `next` is `base` (the rows as they were then) plus the new rows. Flush takes `next` as the rows — no copy or
   * insert per session — unless the rows changed meanwhile; anything else that needs the pending rows turns them into
   * `pendingAdded` first (settleShared). While set, `pendingAdded` and `ghosts` are empty.
   */
  private pendingShared: { base: HotColumns; next: HotColumns } | null = null;
  private readonly pendingFlags = new Set<number>();
  private keywordsGrew = false;

  /**
   * The session's enabled extensions (a live set, SessionState.enabled): CONDSTORE adds MODSEQ to unsolicited FETCH,
   * QRESYNC turns EXPUNGE into VANISHED.
   */
  readonly enabled: ReadonlySet<string>;

  constructor(
    opened: { status: MailboxStatus; blobPrefix: string } & ({ messages: HotList } | { columns: HotColumns }),
    readOnly: boolean,
    enabled: ReadonlySet<string> = new Set(),
  ) {
    this.enabled = enabled;
    const { status } = opened;
    this.mailboxId = status.mailboxId;
    this.path = status.path;
    this.readOnly = readOnly;
    this.blobPrefix = opened.blobPrefix;
    this.uidValidity = status.uidValidity;
    this.uidNext = status.uidNext;
    this.modseq = status.highestModseq;
    this.keywords = [...status.keywords];
    if ('columns' in opened) {
      this.rows = opened.columns.share();
      this.uidNext = Math.max(this.uidNext, this.rows.lastUid() + 1);
    } else {
      this.rows = new HotColumns();
      this.insert(opened.messages);
    }
  }

  get count(): number {
    return this.rows.length;
  }

  get condstore(): boolean {
    return this.enabled.has('CONDSTORE') || this.enabled.has('QRESYNC');
  }

  get qresync(): boolean {
    return this.enabled.has('QRESYNC');
  }

  /** Expunges are announced as VANISHED: QRESYNC (RFC 7162 §3.2.10) or UIDONLY (RFC 9586 §3.4, §3.6). */
  get vanishes(): boolean {
    return this.qresync || isUidOnly(this.enabled);
  }

  get recentCount(): number {
    return isRev2(this.enabled) ? 0 : this.recentInView();
  }

  /** Rev1 SELECT (not EXAMINE) claims \Recent (RFC 3501 §6.3.2: EXAMINE changes no state). */
  get claimsRecent(): boolean {
    return !this.readOnly && !isRev2(this.enabled);
  }

  /** One past the highest UID learned but not yet announced (0: none), the next claim's upper end. */
  get pendingUidNext(): number {
    if (this.pendingShared) return this.pendingShared.next.lastUid() + 1;
    return this.pendingAdded.uids.reduce((max, uid) => Math.max(max, uid + 1), 0);
  }

  /** This session won UIDs [from, to) as recent: those announced are recent now, pending ones when announced. */
  claimRecent(from: number, to: number): void {
    this.recentClaimedTo = Math.max(this.recentClaimedTo, to);
    if (from >= to) return;
    this.recentRanges.push([from, to]);
  }

  uidAt(index: number): number {
    return this.rows.uidAt(index);
  }
  bitsAt(index: number): number {
    return this.rows.flagsAt(index);
  }
  keywordsAt(index: number): readonly string[] {
    return this.rows.keywordsAt(index);
  }
  modseqAt(index: number): number {
    return this.rows.modseqAt(index);
  }
  sizeAt(index: number): number {
    return this.rows.sizeAt(index);
  }
  dateAt(index: number): number {
    return this.rows.dateAt(index);
  }
  emailIdAt(index: number): string {
    return this.rows.emailIdAt(index);
  }
  /** Save date (RFC 8514), ms since epoch, or 0 when the store does not know it. */
  saveDateAt(index: number): number {
    return this.rows.saveDateAt(index);
  }
  isRecent(index: number): boolean {
    if (isRev2(this.enabled)) return false;
    const uid = this.uidAt(index);
    return this.recentRanges.some(([from, to]) => uid >= from && uid < to);
  }
  isGhost(index: number): boolean {
    return this.ghosts.has(this.uidAt(index));
  }

  /** Flag names of a message as FETCH FLAGS shows them (RFC 3501 §2.3.2, \Recent included). */
  flagsAt(index: number): string[] {
    const names = flagNames(this.bitsAt(index), this.keywordsAt(index));
    if (this.isRecent(index)) names.push('\\Recent');
    return names;
  }

  indexOfUid(uid: number): number {
    return this.rows.indexOfUid(uid);
  }

  /**
   * The messages a sequence set names, in ascending order. For UIDs `*` is the highest UID in the view, and an
   * empty mailbox names nothing (RFC 3501 §6.4.8). Sequence numbers beyond the view are reported, since RFC 9051
   * §6.4.4 makes them a BAD.
   */
  resolve(set: SequenceSet, byUid: boolean, saved?: readonly number[]): { rows: MessageRow[]; outOfRange: boolean } {
    const rows: MessageRow[] = [];
    if (set.kind === 'saved' && saved === undefined) {
      // `$` (RFC 5182): the saved UIDs, whichever form of the command uses it.
      for (const uid of [...new Set(this.savedUids)].sort((a, b) => a - b)) {
        const index = this.indexOfUid(uid);
        if (index >= 0) rows.push({ index, seq: index + 1, uid });
      }
      return { rows, outOfRange: false };
    }
    if (byUid) {
      const max = this.rows.lastUid();
      const savedSet = saved ? new Set(saved) : undefined;
      if (max === 0) return { rows, outOfRange: false };
      for (let index = 0; index < this.rows.length; index++) {
        const uid = this.rows.uidAt(index);
        if (sequenceSetHas(set, uid, max, savedSet)) rows.push({ index, seq: index + 1, uid });
      }
      return { rows, outOfRange: false };
    }
    let outOfRange = false;
    if (set.kind === 'ranges') {
      for (const r of set.ranges) {
        if ((r.start !== '*' && r.start > this.count) || (r.end !== '*' && r.end > this.count)) outOfRange = true;
      }
    }
    for (const seq of expandSequenceSet(set, this.count, saved)) rows.push({ index: seq - 1, seq, uid: this.uidAt(seq - 1) });
    return { rows, outOfRange };
  }

  /** Own STORE result: the view takes the new flags at once (the log's echo is then older and ignored). */
  applyFlags(uid: number, bits: number, keywords: string[], modseq: number): void {
    const i = this.indexOfUid(uid);
    // The row holds this very commit already (its hint, with the change, or a log read came before the answer):
    // the FETCH that queued is the one this STORE answers itself, or — under .SILENT — must not send (RFC 3501
    // §6.4.6); a later change of the row would have a higher MODSEQ.
    if (i >= 0 && this.rows.modseqAt(i) === modseq) this.pendingFlags.delete(uid);
    if (i >= 0 && this.rows.modseqAt(i) <= modseq) {
      this.rows = this.rows.writable();
      this.rows.setFlags(i, bits, keywords, modseq);
    }
    for (const k of keywords) this.addKeyword(k);
  }

  /** Own EXPUNGE result: removes the messages now and returns their sequence numbers, highest first (§7.4.1). */
  removeNow(uids: readonly number[]): number[] {
    const seqs: number[] = [];
    const gone = new Set(uids);
    for (let i = this.rows.length - 1; i >= 0; i--) if (gone.has(this.rows.uidAt(i))) seqs.push(i + 1);
    this.remove(gone);
    return seqs;
  }

  /**
   * Takes in log entries; those at or below the view's `modseq` were taken in already (the process's mailbox cache
   * and the session's own reads may both deliver them) and are skipped. What the client must be told waits for
   * `flush`. Returns true when something is now waiting.
   */
  applyChanges(entries: readonly LogEntry[], status: MailboxStatus, advance?: SharedAdvance): boolean {
    const floor = this.modseq;
    if (advance && floor === advance.fromModseq && status.highestModseq > floor && this.takeAdvance(advance)) {
      for (const k of advance.keywords) this.addKeyword(k);
      this.modseq = status.highestModseq;
      this.uidNext = Math.max(this.uidNext, status.uidNext);
      for (const k of status.keywords) this.addKeyword(k);
      return this.hasPending;
    }
    this.settleShared();
    for (const entry of entries) {
      if (entry.modseq <= floor) continue;
      if (entry.op === 'A') this.queueAdded(entry.added);
      else if (entry.op === 'F') this.queueFlags(entry);
      else if (entry.op === 'X') for (const uid of entry.uids) this.queueExpunge(uid);
    }
    if (status.highestModseq > floor) {
      this.modseq = status.highestModseq;
      this.uidNext = Math.max(this.uidNext, status.uidNext);
      for (const k of status.keywords) this.addKeyword(k);
    }
    return this.hasPending;
  }

  /** Something is queued for the client (EXPUNGE, EXISTS, FETCH FLAGS or FLAGS). */
  get hasPending(): boolean {
    return this.ghosts.size > 0 || this.pendingAdded.uids.length > 0 || this.pendingFlags.size > 0 || this.keywordsGrew || this.pendingShared !== null;
  }

  /**
   * Releases queued changes as untagged responses. `allowExpunge` is false while answering non-UID FETCH, STORE
   * and SEARCH (RFC 3501 §7.4.1); ghosts then keep their sequence numbers until a later command.
   */
  flush(allowExpunge: boolean): ViewUpdate[] {
    const out: ViewUpdate[] = [];
    if (allowExpunge && this.ghosts.size > 0) {
      const vanished: number[] = [];
      // Highest sequence number first: each EXPUNGE shifts only those above it (RFC 3501 §7.4.1).
      for (let i = this.rows.length - 1; i >= 0; i--) {
        const uid = this.rows.uidAt(i);
        if (this.ghosts.has(uid)) {
          if (this.vanishes) vanished.unshift(uid);
          else out.push({ kind: 'expunge', seq: i + 1 });
        }
      }
      this.remove(new Set(this.ghosts));
      if (vanished.length > 0) out.push({ kind: 'vanished', uids: vanished });
      this.ghosts.clear();
    }
    if (this.keywordsGrew) {
      out.push({ kind: 'flags', flags: this.flagList() });
      this.keywordsGrew = false;
    }
    if (this.adoptShared() || this.pendingAdded.uids.length > 0) {
      const added = this.pendingAdded;
      if (added.uids.length > 0) this.pendingAdded = emptyList();
      this.insert(added);
      out.push({ kind: 'exists', count: this.count });
      // RFC 9051 Appendix A: a rev2 session gets no RECENT response.
      if (!isRev2(this.enabled)) out.push({ kind: 'recent', count: this.recentInView() });
    }
    for (const uid of [...this.pendingFlags].sort((a, b) => a - b)) {
      const i = this.indexOfUid(uid);
      if (i >= 0) {
        const update: ViewUpdate = { kind: 'fetch', seq: i + 1, uid, flags: this.flagsAt(i) };
        if (isUidOnly(this.enabled)) update.uidFetch = true;
        if (this.condstore) update.modseq = this.modseqAt(i);
        out.push(update);
      }
    }
    this.pendingFlags.clear();
    return out;
  }

  /** The FLAGS response: system flags and the mailbox's keywords (RFC 3501 §7.2.6). */
  flagList(): string[] {
    return ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft', ...this.keywords];
  }

  /**
   * Takes the cache's advance when the view holds exactly the columns it started from (or, for appends, already
   * holds the previous advance pending): appends wait in `pendingShared`, flag changes are taken as the new rows at
   * once (as queueFlags would: sequence numbers do not move) and queued as FETCH. False: apply the entries instead.
   */
  private takeAdvance(advance: SharedAdvance): boolean {
    if (this.ghosts.size > 0 || this.pendingAdded.uids.length > 0) return false;
    const pending = this.pendingShared;
    if (advance.kind === 'append') {
      if (pending === null ? this.rows !== advance.from : pending.next !== advance.from || this.rows !== pending.base) return false;
      this.pendingShared = { base: this.rows, next: advance.to };
      return true;
    }
    if (pending !== null || this.rows !== advance.from) return false;
    this.rows = advance.to;
    for (const uid of advance.changedUids) this.pendingFlags.add(uid);
    return true;
  }

  /** Flush: the pending shared rows become the view's rows (true), when the rows are still those they extend. */
  private adoptShared(): boolean {
    const pending = this.pendingShared;
    if (pending === null || this.rows !== pending.base) {
      this.settleShared();
      return false;
    }
    this.rows = pending.next;
    this.pendingShared = null;
    return true;
  }

  /** The pending shared rows as ordinary `pendingAdded` (before anything else queues or reads pending state). */
  private settleShared(): void {
    const pending = this.pendingShared;
    if (pending === null) return;
    this.pendingShared = null;
    const { base, next } = pending;
    for (let i = base.length; i < next.length; i++) {
      pushRow(this.pendingAdded, {
        uids: [next.uidAt(i)],
        flags: [next.flagsAt(i)],
        keywords: [next.keywordsAt(i).slice()],
        modseqs: [next.modseqAt(i)],
        sizes: [next.sizeAt(i)],
        dates: [next.dateAt(i)],
        emailIds: [next.emailIdAt(i)],
        saveDates: [next.saveDateAt(i)],
      }, 0);
    }
  }

  private addKeyword(k: string): void {
    if (!this.keywords.includes(k)) {
      this.keywords.push(k);
      this.keywordsGrew = true;
    }
  }

  private queueAdded(added: HotList): void {
    for (let i = 0; i < added.uids.length; i++) {
      const uid = added.uids[i]!;
      if (this.indexOfUid(uid) >= 0 || this.pendingAdded.uids.includes(uid)) continue;
      pushRow(this.pendingAdded, added, i);
      for (const k of added.keywords[i] ?? []) this.addKeyword(k);
    }
  }

  private queueFlags(entry: Extract<LogEntry, { op: 'F' }>): void {
    entry.uids.forEach((uid, n) => {
      const i = this.indexOfUid(uid);
      const bits = entry.flags[n] ?? 0;
      const keywords = entry.keywords[n] ?? [];
      if (i >= 0) {
        // Applied only when newer than what the view holds: our own STORE already took its result (its echo is
        // not announced twice).
        if (this.rows.modseqAt(i) >= entry.modseq) return;
        this.rows = this.rows.writable();
        this.rows.setFlags(i, bits, keywords, entry.modseq);
        this.pendingFlags.add(uid);
      } else {
        const p = this.pendingAdded.uids.indexOf(uid);
        if (p >= 0) {
          this.pendingAdded.flags[p] = bits;
          this.pendingAdded.keywords[p] = keywords;
          this.pendingAdded.modseqs[p] = entry.modseq;
        }
      }
      for (const k of keywords) this.addKeyword(k);
    });
  }

  private queueExpunge(uid: number): void {
    const p = this.pendingAdded.uids.indexOf(uid);
    if (p >= 0) {
      for (const column of Object.values(this.pendingAdded) as unknown[][]) column.splice(p, 1);
      return;
    }
    if (this.indexOfUid(uid) >= 0) this.ghosts.add(uid);
    this.pendingFlags.delete(uid);
  }

  /** Adds rows keeping UID order (new UIDs are above all announced ones, I1, but order is not assumed). */
  private insert(list: HotList): void {
    if (list.uids.length === 0) return;
    this.rows = this.rows.writable();
    const order = list.uids.map((_, i) => i).sort((a, b) => list.uids[a]! - list.uids[b]!);
    for (const i of order) {
      const uid = list.uids[i]!;
      let at = this.rows.length;
      if (at > 0 && this.rows.lastUid() > uid) at = this.firstAbove(uid);
      this.rows.insertAt(at, {
        uid,
        flags: list.flags[i] ?? 0,
        keywords: list.keywords[i] ?? [],
        modseq: list.modseqs[i] ?? 0,
        size: list.sizes[i] ?? 0,
        date: list.dates[i] ?? 0,
        emailId: list.emailIds[i] ?? '',
        saveDate: list.saveDates?.[i] ?? 0,
      });
      if (uid >= this.uidNext) this.uidNext = uid + 1;
    }
  }

  /** Messages of the view in a claimed range (claims never overlap: the store hands each UID to one claim). */
  private recentInView(): number {
    let n = 0;
    for (const [from, to] of this.recentRanges) n += this.firstAbove(to - 1) - this.firstAbove(from - 1);
    return n;
  }

  /** The index of the first message with a UID above `uid`. */
  private firstAbove(uid: number): number {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rows.uidAt(mid) > uid) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private remove(gone: ReadonlySet<number>): void {
    if (gone.size === 0) return;
    this.rows = this.rows.writable();
    this.rows.removeUids(gone);
    for (const uid of gone) {
      this.ghosts.delete(uid);
      this.pendingFlags.delete(uid);
    }
  }
}

function emptyList(): HotList {
  return { uids: [], flags: [], keywords: [], modseqs: [], sizes: [], dates: [], emailIds: [], saveDates: [] };
}

function pushRow(into: HotList, from: HotList, i: number): void {
  into.uids.push(from.uids[i]!);
  into.flags.push(from.flags[i] ?? 0);
  into.keywords.push(from.keywords[i] ?? []);
  into.modseqs.push(from.modseqs[i] ?? 0);
  into.sizes.push(from.sizes[i] ?? 0);
  into.dates.push(from.dates[i] ?? 0);
  into.emailIds.push(from.emailIds[i] ?? '');
  into.saveDates?.push(from.saveDates?.[i] ?? 0);
}
