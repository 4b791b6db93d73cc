// The shared core of EXPUNGE, UID EXPUNGE and CLOSE: ask the store to remove the view's \Deleted messages that pass
// `wanted`, then drop them from the view. The store removes only those still \Deleted (a concurrent undelete wins).
import { FLAG_DELETED } from '../../mailstore/flags.js';
import type { CommandContext } from './context.js';
import type { MailboxView } from './mailbox-view.js';
import { afterOwnWrite } from './freshness.js';

/** zod's bound on one request's UID list is 100k; smaller requests keep each call short. */
const REQUEST_UIDS = 10_000;

/**
 * Returns the sequence numbers to announce, in the order to announce them (each valid when sent); the expunged
 * UIDs are appended to `expungedUids` when given (QRESYNC announces UIDs: session/condstore.ts expungeResponses).
 */
export async function expungeDeleted(
  ctx: CommandContext,
  view: MailboxView,
  wanted: (uid: number) => boolean,
  expungedUids?: number[],
): Promise<number[]> {
  const indexes: number[] = [];
  for (let i = 0; i < view.count; i++) {
    if (view.bitsAt(i) & FLAG_DELETED && wanted(view.uidAt(i))) indexes.push(i);
  }
  const seqs: number[] = [];
  for (let i = 0; i < indexes.length; i += REQUEST_UIDS) {
    const part = indexes.slice(i, i + REQUEST_UIDS);
    const known = knownState(view, part);
    const result = await ctx.deps.store.call('message.expunge', {
      token: ctx.state.token,
      mailboxId: view.mailboxId,
      uids: part.map((index) => view.uidAt(index)),
      ...(known ? { known } : {}),
    });
    seqs.push(...view.removeNow(result.expunged));
    expungedUids?.push(...result.expunged);
    if (result.modseq > 0) await afterOwnWrite(ctx, view, result.modseq, result.change);
  }
  return seqs; // per batch highest first, each computed after the previous batch was removed
}

/**
 * What the view holds for the messages (flags, MODSEQ, size, emailId): the store plans from it and its transaction
 * checks all of it, so the usual EXPUNGE reads no hot item. None when a message is a ghost: those are read.
 */
function knownState(
  view: MailboxView,
  indexes: readonly number[],
): { flags: number[]; modseqs: number[]; sizes: number[]; emailIds: string[] } | undefined {
  const known = { flags: [] as number[], modseqs: [] as number[], sizes: [] as number[], emailIds: [] as string[] };
  for (const index of indexes) {
    const emailId = view.emailIdAt(index);
    if (view.isGhost(index) || emailId === '') return undefined;
    known.flags.push(view.bitsAt(index));
    known.modseqs.push(view.modseqAt(index));
    known.sizes.push(view.sizeAt(index));
    known.emailIds.push(emailId);
  }
  return known;
}
