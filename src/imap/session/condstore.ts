// CONDSTORE and QRESYNC (RFC 7162) helpers shared by SELECT, FETCH, STORE, SEARCH, STATUS and EXPUNGE.
//
// Every Stratus mailbox has mod-sequences (META.modseq = HIGHESTMODSEQ, one per message), so NOMODSEQ is never sent.
// Expunged UIDs since a mod-sequence come from the change log (X entries of `mailbox.changes`); when the log no
// longer reaches back that far (`resync`), the answer is the conservative one of §3.2.5.1/§3.2.5.2: every UID in
// the client's range below UIDNEXT that is not in the mailbox now, narrowed by the client's sequence-match data.
import type { CommandContext } from './context.js';
import type { MailboxView } from './mailbox-view.js';
import type { SequenceSet } from '../types.js';
import { expandSequenceSet, sequenceSetHas } from '../types.js';
import { expungeData, vanishedData } from '../encoder.js';

/** RFC 7162 §3.1: a CONDSTORE enabling command (SELECT (CONDSTORE), FETCH MODSEQ/CHANGEDSINCE, …) was used. */
export function enableCondstore(ctx: CommandContext): void {
  ctx.state.enabled.add('CONDSTORE');
}

export function condstoreEnabled(ctx: CommandContext): boolean {
  return ctx.state.enabled.has('CONDSTORE') || ctx.state.enabled.has('QRESYNC');
}

/** Sequence-match data of SELECT (QRESYNC (… (seqs uids))) (RFC 7162 §3.2.5.2). */
export interface SeqMatch {
  readonly seqs: SequenceSet;
  readonly uids: SequenceSet;
}

/**
 * UIDs expunged after mod-sequence `since` for which `within(uid)` holds, ascending. UIDs the view still holds are
 * never reported (an expunge the session has not announced yet is announced later, as usual).
 */
export async function vanishedSince(
  ctx: CommandContext,
  view: MailboxView,
  since: number,
  within: (uid: number) => boolean,
  seqMatch?: SeqMatch,
): Promise<number[]> {
  const changes = await ctx.deps.store.call('mailbox.changes', { token: ctx.state.token, mailboxId: view.mailboxId, since });
  const present = (uid: number) => view.indexOfUid(uid) >= 0;
  if (!changes.resync) {
    const out = new Set<number>();
    for (const entry of changes.entries) {
      if (entry.op === 'X') for (const uid of entry.uids) if (within(uid) && !present(uid)) out.add(uid);
    }
    return [...out].sort((a, b) => a - b);
  }
  // The log was truncated: report every UID the client may know of that is gone (§3.2.5.1), above the highest
  // UID the client's sequence-match data proves it already knows the expunges up to (§3.2.5.2).
  const uidNext = Math.max(view.uidNext, changes.status.uidNext);
  const floor = seqMatch ? matchedFloor(view, seqMatch) : 0;
  const out: number[] = [];
  for (let uid = floor + 1; uid < uidNext; uid++) if (within(uid) && !present(uid)) out.push(uid);
  return out;
}

/** The UID of the last pair (from the start) whose sequence number still names that UID in the view. */
function matchedFloor(view: MailboxView, match: SeqMatch): number {
  const seqs = expandSequenceSet(match.seqs, 0xffffffff);
  const uids = expandSequenceSet(match.uids, 0xffffffff);
  let floor = 0;
  for (let i = 0; i < Math.min(seqs.length, uids.length); i++) {
    if (view.uidAt(seqs[i]! - 1) !== uids[i]) break;
    floor = uids[i]!;
  }
  return floor;
}

/** `within` for a UID set, `*` standing for the highest UID ever given (UIDNEXT − 1): expunged UIDs may lie above
 * the highest UID still present. */
export function uidSetMember(set: SequenceSet, view: MailboxView): (uid: number) => boolean {
  const max = view.uidNext - 1;
  return (uid) => sequenceSetHas(set, uid, max);
}

/**
 * The untagged responses announcing messages this session itself expunged: `* n EXPUNGE` (highest first, as given),
 * or once QRESYNC is enabled one `* VANISHED uids` (RFC 7162 §3.2.10). For EXPUNGE, UID EXPUNGE and MOVE.
 */
export function expungeResponses(view: MailboxView, seqs: readonly number[], uids: readonly number[]): string[] {
  if (view.vanishes) return uids.length > 0 ? [vanishedData([...uids].sort((a, b) => a - b), false)] : [];
  return seqs.map((seq) => expungeData(seq));
}
