// Keeping the view up to date with other sessions (storage-design §C5). Between hints (watch.ts) the view asks
// the change log for what happened after its MODSEQ; a truncated log (resync) is answered by reopening the mailbox
// and turning the difference into the same kind of changes, so the client is told through the usual flush.
import type { HotList, LogEntry, MailboxStatus, OwnChange } from '../../mailstore/api.js';
import type { CommandContext } from './context.js';
import type { MailboxView } from './mailbox-view.js';

export async function catchUp(ctx: CommandContext, view: MailboxView): Promise<void> {
  const token = ctx.state.token;
  const changes = await ctx.deps.store.call('mailbox.changes', { token, mailboxId: view.mailboxId, since: view.modseq });
  if (!changes.resync) {
    view.applyChanges(changes.entries, changes.status);
    return;
  }
  const opened = await ctx.deps.store.call('mailbox.open', { token, path: view.path });
  applyOpened(view, opened);
}

/** A resync: the mailbox as it is now, turned into changes against the view. True when anything was queued. */
export function applyOpened(view: MailboxView, opened: { status: MailboxStatus; messages: HotList }): boolean {
  if (opened.status.mailboxId !== view.mailboxId) return false;
  return view.applyChanges(differenceAsEntries(view, opened.messages, opened.status.highestModseq), opened.status);
}

/**
 * After a write of our own that committed at `modseq`: a gap means someone else wrote in between. `change` (the
 * store's OwnChange: the commits' log entries, dense) lets a view that stands right before them take several
 * commits of one request without a log read — their effects are in the view already, so nothing is announced — and
 * goes to the process's mailbox cache for its copy of the mailbox and its other sessions (mailbox-cache.ts
 * committed), which then read no log for it either. Called in the turn the result arrived, before anything is
 * written to the client: the commit's hint is looked at one turn later.
 */
export async function afterOwnWrite(ctx: CommandContext, view: MailboxView, modseq: number, change?: OwnChange): Promise<void> {
  if (takeOwnCommit(ctx, view, modseq, change)) await catchUp(ctx, view);
}

/** afterOwnWrite without the catch-up: true when the view is still behind `modseq` (then `catchUp`). */
export function takeOwnCommit(ctx: CommandContext, view: MailboxView, modseq: number, change?: OwnChange): boolean {
  if (change !== undefined && change.entries[0]?.modseq === view.modseq + 1) view.applyChanges(change.entries, change.status);
  else if (modseq === view.modseq + 1) view.modseq = modseq;
  if (change !== undefined) ctx.deps.mailboxes?.committed(change);
  return modseq > view.modseq;
}

/** A commit of ours to a mailbox that is not the selected one (APPEND, COPY, MOVE's destination): for the cache. */
export function ownCommitElsewhere(ctx: CommandContext, change: OwnChange | undefined): void {
  if (change !== undefined) ctx.deps.mailboxes?.committed(change);
}

function differenceAsEntries(view: MailboxView, fresh: HotList, modseq: number): LogEntry[] {
  const present = new Set(fresh.uids);
  const gone: number[] = [];
  for (let i = 0; i < view.count; i++) if (!present.has(view.uidAt(i))) gone.push(view.uidAt(i));
  const added: HotList = { uids: [], flags: [], keywords: [], modseqs: [], sizes: [], dates: [], emailIds: [], saveDates: [] };
  const changed: Extract<LogEntry, { op: 'F' }> = { modseq, op: 'F', by: '', uids: [], flags: [], keywords: [] };
  fresh.uids.forEach((uid, i) => {
    const at = view.indexOfUid(uid);
    if (at < 0) {
      added.uids.push(uid);
      added.flags.push(fresh.flags[i] ?? 0);
      added.keywords.push(fresh.keywords[i] ?? []);
      added.modseqs.push(fresh.modseqs[i] ?? 0);
      added.sizes.push(fresh.sizes[i] ?? 0);
      added.dates.push(fresh.dates[i] ?? 0);
      added.emailIds.push(fresh.emailIds[i] ?? '');
      added.saveDates?.push(fresh.saveDates?.[i] ?? 0);
    } else if ((fresh.modseqs[i] ?? 0) > view.modseqAt(at)) {
      changed.uids.push(uid);
      changed.flags.push(fresh.flags[i] ?? 0);
      changed.keywords.push(fresh.keywords[i] ?? []);
    }
  });
  return [
    { modseq, op: 'X', by: '', uids: gone },
    { modseq, op: 'A', by: '', added },
    changed,
  ];
}
