// One session's NOTIFY (RFC 5465) once `NOTIFY SET` has succeeded: which mailboxes it watches for which events, and
// the rule for when an unsolicited response may go out. With NOTIFY the server "sends notifications at any time"
// (§1, §3.1): between commands at once, during IDLE at once (§4), and while another command runs they wait until that
// command has ended (connection.ts calls `resume`), so they never land inside a command's own responses.
//
// - The selected mailbox (§6.1): the view's queued EXISTS / EXPUNGE / FETCH FLAGS are pushed between commands through
//   `state.onViewChange` (the hook IDLE uses while it runs). SELECTED-DELAYED holds EXPUNGE (and VANISHED) back for a
//   command that allows it (§6.1.2, RFC 3501 §7.4.1); MessageNew's fetch-atts add a FETCH after EXISTS (§5.2).
// - Other mailboxes (§5.1–5.3): the process's NotifyHub reads a changed mailbox's status once per burst of hints and
//   user, and this session compares it with what it last told the client: `* STATUS name (MESSAGES UIDNEXT UNSEEN
//   [HIGHESTMODSEQ])`, HIGHESTMODSEQ when CONDSTORE/QRESYNC is enabled. Changes that are all this session's own
//   APPENDs (known by their MODSEQs, ownCommit) are not told (§5: SHOULD omit).
// - MailboxName and SubscriptionChange (§5.4, §5.5): after the store's user- or tenant-level hint, the new mailbox
//   list is compared with the last one: `* LIST` for a created or deleted (\NonExistent) mailbox and its parent, a
//   renamed one (OLDNAME), or one whose subscription changed. The copy is always a list as the store gave it. The
//   session's own CREATE/DELETE/RENAME/(UN)SUBSCRIBE name the changes they made (ownCommand); a list that shows one
//   of them says nothing about it (§5: SHOULD NOT), whenever that list comes — before or after the command's answer,
//   which is a matter of timing (function threads, Lambdas, Redis) — until a list read after the command was seen.
//   The watched set (PERSONAL, SUBTREE …) is resolved again too.
// - Access (§3.1, §5.9): a watched mailbox the user can no longer read stops being watched and is told
//   `\NoAccess` while it is still listed, `\NonExistent` once it is not; a `\NoAccess` one readable again is told
//   without it and watched again.
import type { Command, FetchItem, StatusItem } from '../command.js';
import type { MailboxListEntry, MailboxStatus } from '../../mailstore/api.js';
import type { CommandContext } from './context.js';
import type { MailboxView } from './mailbox-view.js';
import type { SessionState } from './state.js';
import type { MailboxStatusWatcher, NotifyHub } from './notify-hub.js';
import { listData, statusData, statusResponse } from '../encoder.js';
import { updateResponse } from './updates.js';
import { claimRecent } from './recent.js';
import { DELIMITER, storePath } from './mailbox-names.js';
import { utf8Names } from './revision.js';
import { ancestors } from './list-pattern.js';
import { listRows, type Row } from './list-rows.js';
import { statusPairs } from './status-items.js';
import { MailStoreError } from '../../mailstore/errors.js';

/**
 * MessageNew's FETCH (§5.2) of the selected mailbox's UIDs `from`..`to`: the FETCH command's own code, handed in by
 * commands/notify.ts so that this session layer never imports a command.
 */
export type FetchNew = (ctx: CommandContext, from: number, to: number, items: readonly FetchItem[]) => Promise<void>;

/** Message events for the selected mailbox (§6.1). */
export interface SelectedEvents {
  readonly delayed: boolean;
  /** MessageNew and MessageExpunge (§5: always together). */
  readonly messages: boolean;
  readonly flags: boolean;
  /** MessageNew's fetch-atts (§5.2), body sections made .PEEK. */
  readonly fetch: readonly FetchItem[] | undefined;
}

export type OtherFilter =
  | { readonly kind: 'PERSONAL' | 'INBOXES' | 'SUBSCRIBED' }
  /** Store paths (decoded). */
  | { readonly kind: 'SUBTREE' | 'MAILBOXES'; readonly paths: readonly string[] };

export interface OtherGroup {
  readonly filter: OtherFilter;
  readonly messages: boolean;
  readonly flags: boolean;
  readonly mailboxName: boolean;
  readonly subscription: boolean;
}

export interface NotifySpec {
  readonly selected: SelectedEvents | null;
  readonly others: readonly OtherGroup[];
}

/** One watched mailbox: its own hub watcher, so a session holds one small object per mailbox and no closures. */
class Watched implements MailboxStatusWatcher {
  /** What the client was last told (or the starting point); undefined: not known yet. */
  last: MailboxStatus | undefined;
  /** A status that came while a command ran: judged once it has ended, when its own commits are known (§5). */
  pending: MailboxStatus | undefined;
  /** MODSEQs of this session's own commits to the mailbox that no status has covered yet. */
  own: number[] = [];
  unwatch: () => void = () => undefined;

  constructor(
    private readonly session: NotifySession,
    readonly mailboxId: string,
    public path: string,
    public messages: boolean,
    public flags: boolean,
  ) {}

  get userId(): string {
    return this.session.userId;
  }

  token(): string {
    return this.session.token;
  }

  changed(status: MailboxStatus): void {
    this.session.statusChanged(this, status);
  }

  gone(): void {
    this.session.lostAccess(this);
  }
}

/** Past this many watched mailboxes NOTIFY SET is refused with NO [NOTIFICATIONOVERFLOW] (§3.1). */
export const MAX_WATCHED = 1000;
/** Past this many responses waiting for a client that does not read, NOTIFY stops with NOTIFICATIONOVERFLOW (§5.8). */
const MAX_WAITING = 2000;
/** Status reads at once when NOTIFY SET starts watching. */
const STARTING_READS = 8;
/** Own commits remembered per watched mailbox until a status covers them (a burst of APPENDs). */
const MAX_OWN = 256;
/** Far beyond any MODSEQ: `mailbox.changes` then reads META only. */
const END_OF_LOG = Number.MAX_SAFE_INTEGER;
/** The other namespaces' prefixes (commands/namespace.ts): PERSONAL is everything else (§6.2). */
const OTHER_NAMESPACES = [`Other Users${DELIMITER}`, `Shared${DELIMITER}`];

export function isPersonal(path: string): boolean {
  return !OTHER_NAMESPACES.some((p) => path.startsWith(p));
}

export function matches(filter: OtherFilter, entry: MailboxListEntry): boolean {
  switch (filter.kind) {
    // §6.3: "If the IMAP server cannot easily compute this set, it MUST treat "inboxes" as equivalent to "personal"."
    case 'PERSONAL':
    case 'INBOXES':
      return isPersonal(entry.path);
    case 'SUBSCRIBED':
      return entry.subscribed;
    case 'SUBTREE':
      return filter.paths.some((p) => entry.path === p || entry.path.startsWith(p + DELIMITER));
    case 'MAILBOXES':
      // §6.6: no wildcard expansion.
      return filter.paths.includes(entry.path);
  }
}

function highestUid(view: MailboxView): number {
  return view.count > 0 ? view.uidAt(view.count - 1) : 0;
}

export class NotifySession {
  private snapshot = new Map<string, MailboxListEntry>();
  private readonly watched = new Map<string, Watched>();
  /**
   * Mailboxes the client may list but not read, told `\NoAccess` (§3.1, §5.9), by id: not watched; each new list of
   * the user's mailboxes (an ACL change naming the user or `anyone` brings one) tries them again.
   */
  private readonly noAccess = new Map<string, string>();
  /** Watched mailboxes whose status read was refused: the next list says whether they are still listed. */
  private readonly lost = new Map<string, string>();
  /** Watched mailboxes whose status came while a command ran. */
  private readonly pendingStatus = new Set<Watched>();
  /** Responses held while a command runs. */
  private held: string[] = [];
  private heldList: { list: readonly MailboxListEntry[]; read: number } | null = null;
  /**
   * Names this session's own commands created, deleted or renamed (§5: not told): how many of their changes a list
   * has not shown yet, and the hub's list-read count when the last of those commands ended. A change the name shows in
   * a list is one of them (one fewer); a list read after `at` shows them all, so the name is forgotten once such a
   * list was applied.
   */
  private readonly ownNames = new Map<string, OwnChanges>();
  /** As ownNames, for its own (UN)SUBSCRIBE (§5.5). */
  private readonly ownSubscriptions = new Map<string, OwnChanges>();
  /** The number of the last list applied: an older one coming late says nothing new (NotifyHub.listReadsStarted). */
  private listRead = 0;
  private writing: Promise<void> = Promise.resolve();
  private waiting = 0;
  private unwatchUser: (() => void) | null = null;
  private stopped = false;
  private rechecking = false;
  private recheckAgain = false;

  constructor(
    private ctx: CommandContext,
    readonly spec: NotifySpec,
    private readonly hub: NotifyHub,
    private readonly fetchNew: FetchNew,
  ) {}

  private get state(): SessionState {
    return this.ctx.state;
  }

  get userId(): string {
    return this.state.user?.userId ?? '';
  }

  /** While NOTIFY has no SELECTED filter, IDLE holds the selected mailbox's changes until DONE (§4, §3.1). */
  get holdsSelected(): boolean {
    return this.spec.selected === null || !this.spec.selected.messages;
  }

  /** MessageNew asked for FETCH attributes: new messages of the selected mailbox are fetched after EXISTS (§5.2). */
  get fetchesNew(): boolean {
    return this.spec.selected?.messages === true && this.spec.selected.fetch !== undefined;
  }

  /**
   * Starts watching from the user's mailbox list as NOTIFY SET read it. Reads each watched mailbox's status once
   * (the starting point for later comparisons) and, with `status`, sends it before the tagged OK (§3.1). Mailboxes
   * the client may list but not read get `* LIST (\NoAccess)` (§3.1) and are not watched.
   */
  async start(list: readonly MailboxListEntry[], status: boolean): Promise<void> {
    this.snapshot = byPath(list);
    const user = this.state.user;
    if (this.spec.others.length > 0 && user?.userId !== undefined) {
      const tenant = user.tenantId === undefined ? {} : { tenantId: user.tenantId };
      this.unwatchUser = this.hub.watchUser({ userId: user.userId, ...tenant, token: () => this.state.token, changed: (l, read) => this.listChanged(l, read) });
    }
    this.resolveWatched();
    const utf8 = utf8Names(this.state.enabled);
    const all = [...this.watched.values()];
    // The starting points, STARTING_READS at a time (a META read each; none where the hub already has one).
    const read = async (w: Watched): Promise<MailboxStatus | 'noaccess' | 'gone' | undefined> => {
      const known = this.hub.lastStatus(w.mailboxId, this.userId);
      if (known) return known;
      try {
        return await this.readStatus(w.mailboxId);
      } catch (err) {
        if (err instanceof MailStoreError && err.code === 'NOPERM') return 'noaccess';
        if (err instanceof MailStoreError && err.code === 'NONEXISTENT') return 'gone';
        return undefined; // watched without a starting point: its next change is told as it is
      }
    };
    const statuses: Awaited<ReturnType<typeof read>>[] = [];
    for (let i = 0; i < all.length; i += STARTING_READS) statuses.push(...(await Promise.all(all.slice(i, i + STARTING_READS).map(read))));
    for (const [i, w] of all.entries()) {
      const s = statuses[i];
      if (s === 'noaccess' || s === 'gone') {
        w.unwatch();
        this.watched.delete(w.mailboxId);
        // §3.1: listable but not readable: `\NoAccess`; gone meanwhile: ignored, as a name that does not exist.
        if (s === 'noaccess') {
          this.noAccess.set(w.mailboxId, w.path);
          await this.ctx.out.send(listData({ attributes: ['\\NoAccess'], delimiter: DELIMITER, mailbox: w.path }, 'LIST', utf8));
        }
        continue;
      }
      if (!s) continue;
      w.last ??= s;
      if (status && this.state.view?.mailboxId !== w.mailboxId) {
        const items: StatusItem[] = ['MESSAGES', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN'];
        if (this.condstore) items.push('HIGHESTMODSEQ');
        await this.ctx.out.send(statusData(w.path, statusPairs(items, s, 0), utf8));
      }
    }
  }

  /** NOTIFY NONE, a new NOTIFY SET, overflow or the end of the connection. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const w of this.watched.values()) w.unwatch();
    this.watched.clear();
    this.noAccess.clear();
    this.lost.clear();
    this.pendingStatus.clear();
    this.unwatchUser?.();
    this.unwatchUser = null;
    this.held = [];
    this.heldList = null;
    this.ownNames.clear();
    this.ownSubscriptions.clear();
    if (this.state.onViewChange === this.selectedChanged) this.state.onViewChange = null;
  }

  /**
   * A command has ended (connection.ts, after its tagged response): what waited goes out now, and the selected
   * mailbox is pushed again between commands. `ctx` is the connection's current one (STARTTLS and COMPRESS replace it).
   */
  resume(ctx: CommandContext): void {
    this.ctx = ctx;
    if (this.stopped) return;
    if (this.spec.selected?.messages && this.state.onViewChange === null) this.state.onViewChange = this.selectedChanged;
    const list = this.heldList;
    this.heldList = null;
    if (list) this.applyList(list.list, list.read);
    const held = this.held;
    this.held = [];
    for (const response of held) this.write(response);
    // Statuses that came during the command are judged now that its own commits are known (ownCommit).
    const pending = [...this.pendingStatus];
    this.pendingStatus.clear();
    for (const w of pending) {
      const s = w.pending;
      w.pending = undefined;
      if (s) this.statusChanged(w, s);
    }
    this.selectedChanged();
  }

  /**
   * The session's own successful CREATE, DELETE, RENAME, (UN)SUBSCRIBE (connection.ts, after the command, before
   * `resume`): the names it changed are not told when a list shows them (§5: "The server SHOULD omit notifying the
   * client if the event is caused by this client"). Lists that come while a command runs wait for its end (`holding`),
   * so a list showing the change is never judged before this. A mailbox it renamed keeps being told by its new name.
   */
  ownCommand(command: Command): void {
    if (this.stopped) return;
    const utf8 = utf8Names(this.state.enabled);
    const path = (wire: string): string | null => {
      try {
        return storePath(wire, utf8);
      } catch {
        return null;
      }
    };
    const at = this.hub.listReadsStarted;
    const names = (...paths: string[]): void => {
      for (const p of paths) expect(this.ownNames, p, at);
    };
    switch (command.name) {
      case 'CREATE': {
        const p = path(command.mailbox);
        if (p !== null) names(...ancestors(p), p); // the parents it had to create too
        return;
      }
      case 'DELETE': {
        const p = path(command.mailbox);
        if (p !== null) names(p);
        return;
      }
      case 'RENAME': {
        const from = path(command.from);
        const to = path(command.to);
        if (from === null || to === null) return;
        // RFC 3501 §6.3.5: renaming INBOX moves its messages to a new mailbox; INBOX stays.
        names(from, ...ancestors(to), to);
        if (from === 'INBOX') return;
        for (const w of this.watched.values()) {
          if (w.path === from || w.path.startsWith(from + DELIMITER)) w.path = to + w.path.slice(from.length);
        }
        return;
      }
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        const p = path(command.mailbox);
        if (p !== null) expect(this.ownSubscriptions, p, at);
        return;
      }
      default:
        return;
    }
  }

  /** A name whose change in this list is the session's own (ownCommand): true once per own change. */
  private ownName(path: string): boolean {
    return consume(this.ownNames, path);
  }

  /**
   * This session committed `modseq` to a mailbox (its APPEND, commands/append.ts). §5: "The server SHOULD omit
   * notifying the client if the event is caused by this client", so a status whose every change since the last one
   * told is this session's own is taken in silently; a change by anyone else in between still shows.
   */
  ownCommit(mailboxId: string, modseq: number): void {
    const w = this.stopped ? undefined : this.watched.get(mailboxId);
    if (!w) return;
    w.own.push(modseq);
    if (w.own.length > MAX_OWN) w.own.shift();
  }

  /**
   * After the selected view's updates went out (connection.ts at a command's end, idle.ts, or a push here): a FETCH
   * with MessageNew's fetch-atts for the messages above `before` (§5.2). `own`: the command that ended may have added
   * them itself (APPEND, COPY, MOVE), and §5.2 says no FETCH for those.
   */
  async afterFlush(ctx: CommandContext, view: MailboxView, before: number, own: boolean): Promise<void> {
    const sel = this.spec.selected;
    if (this.stopped || own || !sel?.messages || !sel.fetch || ctx.state.view !== view) return;
    const top = highestUid(view);
    if (top <= before) return;
    await this.fetchNew(ctx, before + 1, top, sel.fetch);
  }

  /** `state.onViewChange` between commands: the selected view has news. */
  private readonly selectedChanged = (): void => {
    const view = this.state.view;
    if (this.stopped || !view || !view.hasPending || this.state.commandRunning || !this.spec.selected?.messages) return;
    this.writing = this.writing.then(() => this.pushSelected(view)).catch(() => undefined);
  };

  private async pushSelected(view: MailboxView): Promise<void> {
    const sel = this.spec.selected;
    // A command may have started meanwhile: its end flushes the view (RFC 3501 §7.4.1 applies to it).
    if (!sel || this.stopped || this.state.view !== view || this.state.commandRunning) return;
    await claimRecent(this.ctx, view);
    if (this.state.commandRunning) return;
    const before = highestUid(view);
    for (const update of view.flush(!sel.delayed)) {
      // FlagChange not asked for (§5.1): no FETCH FLAGS between commands.
      if (update.kind === 'fetch' && !sel.flags) continue;
      await this.ctx.out.send(updateResponse(update));
    }
    await this.afterFlush(this.ctx, view, before, false);
  }

  private get condstore(): boolean {
    return this.state.enabled.has('CONDSTORE') || this.state.enabled.has('QRESYNC');
  }

  /** While a command runs (IDLE excepted: §4 wants the events during IDLE), unsolicited responses wait for its end. */
  private get holding(): boolean {
    return this.state.commandRunning && this.state.interruptIdle === null;
  }

  /** Sends now, or after the command in progress. */
  private emit(response: string): void {
    if (this.stopped) return;
    if (this.holding) {
      this.held.push(response);
      if (this.held.length > MAX_WAITING) this.overflow();
      return;
    }
    this.write(response);
  }

  private write(response: string): void {
    if (++this.waiting > MAX_WAITING) {
      this.overflow();
      return;
    }
    const out = this.ctx.out;
    this.writing = this.writing
      .then(() => out.send(response))
      .catch(() => undefined)
      .finally(() => {
        this.waiting--;
      });
  }

  /** §5.8: say NOTIFICATIONOVERFLOW and behave as after NOTIFY NONE. */
  private overflow(): void {
    this.stop();
    if (this.state.notify === this) this.state.notify = null;
    const out = this.ctx.out;
    this.writing = this.writing.then(() => out.send(statusResponse(null, 'OK', 'Too many notifications, NOTIFY is off', 'NOTIFICATIONOVERFLOW'))).catch(() => undefined);
  }

  // ------------------------------------------------------------------ other mailboxes: STATUS

  get token(): string {
    return this.state.token;
  }

  private async readStatus(mailboxId: string): Promise<MailboxStatus> {
    return (await this.ctx.deps.store.call('mailbox.changes', { token: this.state.token, mailboxId, since: END_OF_LOG })).status;
  }

  /** The hub read a watched mailbox's status (Watched.changed). */
  statusChanged(w: Watched, s: MailboxStatus): void {
    if (this.stopped || this.watched.get(w.mailboxId) !== w) return;
    if (this.holding) {
      w.pending = s;
      this.pendingStatus.add(w);
      return;
    }
    const prev = w.last;
    w.last = s;
    const ownOnly = prev !== undefined && onlyOwn(w.own, prev, s);
    w.own = w.own.filter((m) => m > s.highestModseq);
    // §5: the changes since the last status told are all this session's own (its APPEND): nothing to tell.
    if (ownOnly) return;
    // §3.1: the selected mailbox gets the SELECTED filter's events, even when a filter here names it too.
    if (this.state.view?.mailboxId === w.mailboxId) return;
    const counts = !prev || prev.messages !== s.messages || prev.uidNext !== s.uidNext;
    const validity = prev !== undefined && prev.uidValidity !== s.uidValidity;
    const flagsMoved = prev !== undefined && (prev.unseen !== s.unseen || (this.condstore && prev.highestModseq !== s.highestModseq));
    if (!(validity || (counts && w.messages) || (flagsMoved && w.flags))) return;
    const items: StatusItem[] = ['MESSAGES', 'UIDNEXT'];
    // §5.1: "the server MUST notify the client about mailbox UIDVALIDITY changes".
    if (validity) items.push('UIDVALIDITY');
    items.push('UNSEEN');
    // §5.2, §5.3: HIGHESTMODSEQ once CONDSTORE / QRESYNC is enabled.
    if (this.condstore) items.push('HIGHESTMODSEQ');
    this.emit(statusData(w.path, statusPairs(items, s, 0), utf8Names(this.state.enabled)));
  }

  /**
   * The hub could not read a watched mailbox with this session's rights (Watched.gone). §5.9: "If this happens, the
   * server MUST stop monitoring these mailboxes." What the client is told waits for a fresh list of the user's
   * mailboxes (asked for here), which says whether the name is still listed: `\NoAccess` if it is (the `r` right was
   * taken, `l` kept), `\NonExistent` if not (deleted, or `l` taken — §5.4 makes that a deletion, and §3.1 never lets
   * a client tell the two apart).
   */
  lostAccess(w: Watched): void {
    if (this.stopped || this.watched.get(w.mailboxId) !== w) return;
    w.unwatch();
    this.watched.delete(w.mailboxId);
    this.pendingStatus.delete(w);
    this.lost.set(w.mailboxId, w.path);
    this.hub.refreshUser(this.userId);
  }

  /** Watches exactly the mailboxes the filters with message events name in the current list (§6). */
  private resolveWatched(): void {
    const wanted = new Map<string, { path: string; messages: boolean; flags: boolean }>();
    for (const entry of this.snapshot.values()) {
      if (!entry.mailboxId || this.noAccess.has(entry.mailboxId) || this.lost.has(entry.mailboxId)) continue;
      for (const g of this.spec.others) {
        if (!(g.messages || g.flags) || !matches(g.filter, entry)) continue;
        const w = wanted.get(entry.mailboxId) ?? { path: entry.path, messages: false, flags: false };
        w.messages ||= g.messages;
        w.flags ||= g.flags;
        wanted.set(entry.mailboxId, w);
      }
    }
    for (const [id, w] of this.watched) {
      if (!wanted.has(id)) {
        w.unwatch();
        this.watched.delete(id);
        this.pendingStatus.delete(w);
      }
    }
    for (const [id, want] of wanted) {
      const have = this.watched.get(id);
      if (have) {
        have.path = want.path;
        have.messages = want.messages;
        have.flags = want.flags;
        continue;
      }
      const w = new Watched(this, id, want.path, want.messages, want.flags);
      w.last = this.hub.lastStatus(id, this.userId);
      w.unwatch = this.hub.watchMailbox(w);
      this.watched.set(id, w);
    }
  }

  /**
   * §5.9: "the server SHOULD return the LIST response with no \NoAccess name attribute if the mailbox was previously
   * reported as having \NoAccess and the 'l' right is later granted" — and "MUST restart event monitoring". Each
   * `\NoAccess` mailbox still listed is read again (one META read each) after a new list; readable: LIST, watched.
   */
  private async recheckNoAccess(): Promise<void> {
    if (this.stopped || this.noAccess.size === 0) return;
    if (this.rechecking) {
      this.recheckAgain = true;
      return;
    }
    this.rechecking = true;
    try {
      do {
        this.recheckAgain = false;
        for (const id of [...this.noAccess.keys()]) {
          let status: MailboxStatus;
          try {
            status = await this.readStatus(id);
          } catch {
            continue; // still not readable (or the session is ending): stays \NoAccess
          }
          const path = this.noAccess.get(id);
          if (this.stopped || path === undefined) continue;
          this.noAccess.delete(id);
          const rows = listRows([...this.snapshot.values()], (e) => e.mailboxId !== null);
          this.emit(listData({ attributes: attributesOf(path, this.snapshot, rows), delimiter: DELIMITER, mailbox: path }, 'LIST', utf8Names(this.state.enabled)));
          this.resolveWatched();
          const w = this.watched.get(id);
          if (w) w.last ??= status;
        }
      } while (this.recheckAgain && !this.stopped);
    } finally {
      this.rechecking = false;
    }
  }

  // ------------------------------------------------------------------ MailboxName, SubscriptionChange: LIST

  /** `read`: the hub's number of the read that found `list` (NotifyHub.listReadsStarted). */
  private listChanged(list: readonly MailboxListEntry[], read: number): void {
    if (this.stopped) return;
    if (this.holding) {
      // After the command: what it changed itself must be known first (ownCommand), or it is announced.
      if (!this.heldList || read >= this.heldList.read) this.heldList = { list, read };
      return;
    }
    this.applyList(list, read);
  }

  private applyList(list: readonly MailboxListEntry[], read: number): void {
    if (read < this.listRead) return;
    this.listRead = read;
    const before = this.snapshot;
    const after = byPath(list);
    this.snapshot = after;
    const rows = listRows(list, (e) => e.mailboxId !== null);
    const told = this.announce(before, after, rows);
    this.accessChanged(after, rows, told);
    // A list read after an own command shows its change (or a later one by someone else): told from now on.
    for (const [p, own] of this.ownNames) if (read > own.at) this.ownNames.delete(p);
    for (const [p, own] of this.ownSubscriptions) if (read > own.at) this.ownSubscriptions.delete(p);
    this.resolveWatched();
    void this.recheckNoAccess().catch(() => undefined);
  }

  /**
   * §5.9 for the mailboxes watched for message events: one that left the list is told `\NonExistent` (unless
   * MailboxName just did), one whose status read was refused but is still listed `\NoAccess`. `told`: names that
   * already had their LIST in this pass.
   */
  private accessChanged(after: Map<string, MailboxListEntry>, rows: Map<string, Row>, told: Set<string>): void {
    const present = idIndex(after);
    const utf8 = utf8Names(this.state.enabled);
    const vanished = (path: string): void => {
      if (told.has(path)) return;
      told.add(path);
      if (this.ownName(path)) return; // its own DELETE (§5)
      this.emit(listData({ attributes: attributesOf(path, after, rows), delimiter: DELIMITER, mailbox: path }, 'LIST', utf8));
    };
    for (const [id, w] of this.watched) if (!present.has(id)) vanished(w.path);
    for (const [id, path] of this.lost) {
      const now = present.get(id);
      if (now === undefined) {
        vanished(path);
        continue;
      }
      this.noAccess.set(id, now);
      told.add(now);
      this.emit(listData({ attributes: ['\\NoAccess'], delimiter: DELIMITER, mailbox: now }, 'LIST', utf8));
    }
    this.lost.clear();
    for (const [id, path] of this.noAccess) {
      const now = present.get(id);
      if (now === undefined) {
        this.noAccess.delete(id);
        vanished(path);
      } else this.noAccess.set(id, now);
    }
  }

  /** MailboxName (§5.4) and SubscriptionChange (§5.5) between two lists; returns the names told. */
  private announce(before: Map<string, MailboxListEntry>, after: Map<string, MailboxListEntry>, rows: Map<string, Row>): Set<string> {
    const told = new Set<string>();
    const names = this.spec.others.filter((g) => g.mailboxName);
    const subs = this.spec.others.filter((g) => g.subscription);
    if (names.length === 0 && subs.length === 0) return told;
    /** §5: a change of the session's own is taken in silently (and counts as told for the §5.9 pass after this). */
    const own = (path: string): boolean => {
      if (!this.ownName(path)) return false;
      told.add(path);
      return true;
    };
    const oldPath = idIndex(before);
    const newPath = idIndex(after);
    const utf8 = utf8Names(this.state.enabled);
    const wants = (groups: readonly OtherGroup[], ...entries: (MailboxListEntry | undefined)[]): boolean =>
      entries.some((e) => e !== undefined && groups.some((g) => matches(g.filter, e)));
    const say = (path: string, extra: { oldName?: string } = {}): void => {
      told.add(path);
      this.emit(listData({ attributes: attributesOf(path, after, rows), delimiter: DELIMITER, mailbox: path, ...extra }, 'LIST', utf8));
    };
    // §5.4: renames, each once — the children a rename carried along get no event of their own.
    const renames: [string, string][] = [];
    for (const [id, to] of newPath) {
      const from = oldPath.get(id);
      if (from !== undefined && from !== to) renames.push([from, to]);
    }
    const carried = (from: string, to: string): boolean =>
      renames.some(([f, t]) => f !== from && from.startsWith(f + DELIMITER) && to === t + from.slice(f.length));
    for (const [from, to] of renames) {
      if (carried(from, to)) continue;
      const ownFrom = own(from);
      if (own(to) || ownFrom || !wants(names, before.get(from), after.get(to))) continue;
      say(to, { oldName: from });
    }
    // §5.4: "If a mailbox is created or deleted, the mailbox itself and its direct parent (whether it is an existing
    // mailbox or not) are considered to be affected", and "The server notifies the client by sending an unsolicited
    // LIST response for each affected mailbox name": the mailbox, then its parent (\HasChildren or \HasNoChildren
    // now; \NonExistent if it is no mailbox), once per parent. Told when a MailboxName filter covers either name.
    const affected = (path: string, entry: MailboxListEntry | undefined): void => {
      if (own(path)) return;
      const parent = parentOf(path);
      const parentEntry = parent === null ? undefined : (after.get(parent) ?? before.get(parent) ?? nameOnly(parent));
      if (!wants(names, entry, parentEntry)) return;
      if (!told.has(path)) say(path);
      if (parent !== null && !told.has(parent)) say(parent);
    };
    const created = [...newPath].filter(([id]) => !oldPath.has(id)).map(([, path]) => path);
    const deleted = [...oldPath].filter(([id]) => !newPath.has(id)).map(([, path]) => path);
    // Parents before children for what appeared, children before parents for what went.
    for (const path of created.sort((x, y) => depth(x) - depth(y))) affected(path, after.get(path));
    for (const path of deleted.sort((x, y) => depth(y) - depth(x))) affected(path, before.get(path));
    // §5.5: names whose subscription changed while the mailbox stayed what it was.
    for (const [path, e] of after) {
      const was = before.get(path);
      if (!was || was.mailboxId !== e.mailboxId || was.subscribed === e.subscribed || told.has(path)) continue;
      if (consume(this.ownSubscriptions, path) || !wants(subs, was, e)) continue;
      say(path);
    }
    for (const [path, was] of before) {
      if (after.has(path) || was.mailboxId !== null || !was.subscribed || !wants(subs, was) || told.has(path)) continue;
      if (consume(this.ownSubscriptions, path)) continue;
      say(path);
    }
    return told;
  }
}

/** Own changes of one name not shown by a list yet (NotifySession.ownNames). */
interface OwnChanges {
  count: number;
  /** NotifyHub.listReadsStarted when the last of them was made. */
  at: number;
}

function expect(own: Map<string, OwnChanges>, path: string, at: number): void {
  const known = own.get(path);
  if (known) {
    known.count++;
    known.at = at;
  } else own.set(path, { count: 1, at });
}

/** True, one fewer to come, when `path` has an own change not shown yet. */
function consume(own: Map<string, OwnChanges>, path: string): boolean {
  const known = own.get(path);
  if (!known) return false;
  if (--known.count === 0) own.delete(path);
  return true;
}

/** §5: every change between the last status told and `s` is one of this session's own commits (MODSEQ is dense). */
function onlyOwn(own: readonly number[], prev: MailboxStatus, s: MailboxStatus): boolean {
  if (s.uidValidity !== prev.uidValidity || s.highestModseq <= prev.highestModseq) return false;
  const mine = new Set(own.filter((m) => m > prev.highestModseq && m <= s.highestModseq));
  return mine.size === s.highestModseq - prev.highestModseq;
}

/**
 * A name's attributes after a change, as an extended LIST (RFC 5258) shows them: a mailbox's own row; a name that is
 * no mailbox (any more) `\NonExistent` (RFC 5465 §5.4 "MUST be included"), with `\HasChildren` when names below it
 * remain; `\Subscribed` when subscribed (§5.4, §5.5).
 */
function attributesOf(path: string, after: Map<string, MailboxListEntry>, rows: Map<string, Row>): string[] {
  const e = after.get(path);
  const row = rows.get(path);
  const attributes = e?.mailboxId ? [...(row?.attributes ?? ['\\HasNoChildren'])] : row ? ['\\NonExistent', '\\HasChildren'] : ['\\NonExistent'];
  if (e?.subscribed) attributes.push('\\Subscribed');
  return attributes;
}

function parentOf(path: string): string | null {
  const at = path.lastIndexOf(DELIMITER);
  return at > 0 ? path.slice(0, at) : null;
}

function depth(path: string): number {
  return path.split(DELIMITER).length;
}

/** A name with no entry of its own (a parent implied by its children, or nothing at all). */
function nameOnly(path: string): MailboxListEntry {
  return { path, mailboxId: null, specialUse: null, subscribed: false };
}

function byPath(list: readonly MailboxListEntry[]): Map<string, MailboxListEntry> {
  return new Map(list.map((e) => [e.path, e]));
}

function idIndex(map: Map<string, MailboxListEntry>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, e] of map) if (e.mailboxId) out.set(e.mailboxId, path);
  return out;
}
