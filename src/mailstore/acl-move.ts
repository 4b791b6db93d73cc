// MOVE between mailboxes of two owners (a mailbox shared by another user, RFC 4314). A two-mailbox transaction
// cannot move usage between owners, so this is COPY, STORE \Deleted and UID EXPUNGE of exactly the copied messages —
// the RFC 6851 §3.3 fallback, with the rights of RFC 6851 §4.2 (those of UID COPY, UID STORE and UID EXPUNGE).
import type { ResponseOf } from './api.js';
import type { Caller, StoreContext } from './context.js';
import type { MailboxId } from './ids.js';
import { readMeta } from './mailboxes.js';
import { copyMessages } from './messages.js';
import { expungeMessages, storeFlags } from './store-expunge.js';

export async function moveAcrossOwners(
  ctx: StoreContext,
  caller: Caller,
  input: { mailboxId: string; uids: number[]; to: string },
): Promise<ResponseOf<'message.move'>> {
  await readMeta(ctx, caller, input.mailboxId as MailboxId, 'rte'); // before anything is copied
  const copied = await copyMessages(ctx, caller, input);
  if (copied.source.length === 0) return { ...copied, sourceModseq: 0 };
  await storeFlags(ctx, caller, { mailboxId: input.mailboxId, uids: copied.source, mode: 'add', flags: ['\\Deleted'] });
  const gone = await expungeMessages(ctx, caller, { mailboxId: input.mailboxId, uids: copied.source });
  return { ...copied, sourceModseq: gone.modseq };
}
