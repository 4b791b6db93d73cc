// How many messages of a mailbox no session has claimed as recent yet (storage-design §C4, recent.ts): the hot items
// with UID ≥ r, the floor in the mailbox's RECENT item. The next session that claims (a rev1 SELECT) gets exactly
// these, so a count here agrees with what that claim then wins, absent concurrent changes.
import type { KvItem } from '../storage/kv.js';
import type { StoreContext } from './context.js';
import type { MailboxId, Uid } from './ids.js';
import { keys } from './keys.js';

/** The floor r of a RECENT item: UIDs below it are claimed. No item: nothing claimed yet (UIDs start at 1). */
export function recentFloor(item: KvItem | undefined): number {
  return (item?.r as number | undefined) ?? 1;
}

/**
 * Messages with UID in [floor, uidNext). No query when either side of the floor is empty (never claimed, or claimed
 * up to uidNext — the usual states); otherwise one range query (paged past 1 MB, ~5,000 hot items) over whichever
 * side of the floor spans fewer UIDs, so a few new messages above an old floor cost one small page.
 */
export async function countUnclaimed(
  ctx: StoreContext,
  mailboxId: MailboxId,
  mailbox: { uidNext: number; messages: number },
  floor: number,
): Promise<number> {
  const { uidNext, messages } = mailbox;
  if (floor >= uidNext || messages === 0) return 0;
  if (floor <= 1) return messages;
  const above = uidNext - floor; // UIDs that may be unclaimed
  const below = floor - 1; // UIDs that may be claimed
  const counted = above <= below ? await countRange(ctx, mailboxId, floor, uidNext - 1) : await countRange(ctx, mailboxId, 1, floor - 1);
  // META and the query are two reads: a commit in between can move the count by a little; keep it within bounds.
  const unclaimed = above <= below ? counted : messages - counted;
  return Math.max(0, Math.min(unclaimed, messages, above));
}

/** Hot items with UID in [from, to]. */
async function countRange(ctx: StoreContext, mailboxId: MailboxId, from: number, to: number): Promise<number> {
  const sk = { between: [keys.message(mailboxId, from as Uid).sk, keys.message(mailboxId, to as Uid).sk] as [string, string] };
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await ctx.kv.query('mail', { pk: keys.mailbox(mailboxId).pk, sk, consistent: true, ...(cursor ? { cursor } : {}) });
    count += page.items.length;
    cursor = page.cursor;
  } while (cursor);
  return count;
}
