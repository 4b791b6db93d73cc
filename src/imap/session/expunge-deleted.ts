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
  const uids: number[] = [];
  for (let i = 0; i < view.count; i++) {
    const uid = view.uidAt(i);
    if (view.bitsAt(i) & FLAG_DELETED && wanted(uid)) uids.push(uid);
  }
  const seqs: number[] = [];
  for (let i = 0; i < uids.length; i += REQUEST_UIDS) {
    const result = await ctx.deps.store.call('message.expunge', {
      token: ctx.state.token,
      mailboxId: view.mailboxId,
      uids: uids.slice(i, i + REQUEST_UIDS),
    });
    seqs.push(...view.removeNow(result.expunged));
    expungedUids?.push(...result.expunged);
    if (result.modseq > 0) await afterOwnWrite(ctx, view, result.modseq);
  }
  return seqs; // per batch highest first, each computed after the previous batch was removed
}
