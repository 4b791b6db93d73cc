// Messages crossing owners (APPEND, COPY or MOVE into a mailbox shared by another user, RFC 4314 "i"). Bytes and
// cold items belong to the owner whose prefix holds them (§C8: per-user GC, tenant isolation), so a message put into
// another owner's mailbox gets its own emailId, blob and cold item under that owner before the commit. If the commit
// never happens, the copy is an unreferenced blob for the GC sweep, like any failed APPEND.
import type { KvItem } from '../storage/kv.js';
import { maskFlags } from './acl.js';
import type { StoreContext } from './context.js';
import { newEmailId, type EmailId, type TenantId, type UserId } from './ids.js';
import { blobKeys, keys } from './keys.js';

/** Gives every hot item of `items` (as read from the source) a copy of its message owned by `toOwner`. */
export async function transferMessages(
  ctx: StoreContext,
  tenant: TenantId,
  fromOwner: UserId,
  toOwner: UserId,
  items: Iterable<KvItem>,
): Promise<void> {
  for (const item of items) {
    const from = item.e as EmailId;
    const to = newEmailId();
    const body = await ctx.blob.get(blobKeys.message(tenant, fromOwner, from));
    await ctx.blob.put(blobKeys.message(tenant, toOwner, to), body, item.z as number);
    const cold = await ctx.kv.get('msgmeta', keys.cold(from), { consistent: true });
    if (cold) await ctx.kv.put('msgmeta', { ...cold, ...keys.cold(to), owner: toOwner });
    item.e = to;
  }
}

/** RFC 4314 §4 COPY/APPEND: flags the caller may not set are dropped from the new messages (it does not fail). */
export function maskNewFlags(rights: string, items: Iterable<KvItem>): void {
  for (const item of items) {
    const kept = maskFlags(rights, { bits: 0, keywords: [] }, { bits: item.f as number, keywords: (item.k as string[] | undefined) ?? [] });
    item.f = kept.bits;
    item.k = kept.keywords;
  }
}
