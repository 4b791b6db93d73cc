// \Recent claims (RFC 3501 §2.3.2: "this session is the first session to have been notified about this message"),
// storage-design §C4: a RECENT item per mailbox, beside META so claims never conflict with commits, holds the floor
// r. A session that SELECTs read-write, or learns of new messages while selected, moves r up to the UID it has seen
// with a conditional put; the UIDs in [old r, new r) are then recent for that session alone. A loser gets none.
import type { KvItem } from '../storage/kv.js';
import { ConditionFailedError } from '../storage/errors.js';
import type { ResponseOf } from './api.js';
import type { Caller, StoreContext } from './context.js';
import type { MailboxId } from './ids.js';
import { keys } from './keys.js';
import { checkedMeta } from './mailboxes.js';
import { recentFloor } from './unclaimed.js';

/** Concurrent claims only ever raise r, so a few rereads always settle. */
const ATTEMPTS = 5;

/**
 * Two KV calls when there is something to claim (issue #8: it was three): META (the access check, and no UID at or
 * above uidNext exists to be claimed yet) and the RECENT item in ONE strongly consistent batchGet, then the
 * conditional put. A lost race rereads the RECENT item alone: META's uidNext only bounds what may be claimed, and a
 * claim that stops below a newer uidNext leaves the rest to the next claim.
 */
export async function claimRecent(
  ctx: StoreContext,
  caller: Caller,
  mailboxId: MailboxId,
  upTo: number,
): Promise<ResponseOf<'mailbox.claimRecent'>> {
  const metaKey = keys.mailbox(mailboxId);
  const key = keys.mailboxRecent(mailboxId);
  const both = await ctx.kv.batchGet('mail', [metaKey, key], { consistent: true });
  const limit = Math.min(upTo, checkedMeta(both.find((i) => i.sk === metaKey.sk), caller, 'r').uidNext);
  let item: KvItem | undefined = both.find((i) => i.sk === key.sk);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) item = await ctx.kv.get('mail', key, { consistent: true });
    const floor = recentFloor(item);
    if (floor >= limit) return { from: limit, to: limit };
    try {
      await ctx.kv.put('mail', { ...key, r: limit }, {
        condition: item ? { op: 'eq', attr: 'r', value: floor } : { op: 'notExists', attr: 'pk' },
      });
      return { from: floor, to: limit };
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
    }
  }
  return { from: limit, to: limit };
}
