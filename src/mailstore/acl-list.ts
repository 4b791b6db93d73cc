// The mailboxes of others a caller may see (RFC 4314 `l`): found by key, never by scanning users — the caller's
// share index (U#<caller> SH#…), the tenant's `anyone` index (T#<tenant> SH#…) and the tenant's Shared/ tree.
// Every candidate's META is read strongly and its ACL decides; a stale index item (revoked, deleted) shows nothing.
import type { KvItem } from '../storage/kv.js';
import type { MailboxListEntry } from './api.js';
import { rightsOf } from './acl.js';
import { OTHER_USERS, SHARED, sharedOwnerOf } from './acl-paths.js';
import { metaFromItem, type MailboxMeta } from './commit.js';
import type { Caller, StoreContext } from './context.js';
import type { MailboxId } from './ids.js';
import { keys } from './keys.js';
import { DELIMITER } from './names.js';
import { queryAll } from './query-all.js';

interface Visible {
  meta: MailboxMeta;
  /** The caller's name for it. */
  path: string;
  rights: string;
}

async function metas(ctx: StoreContext, ids: MailboxId[]): Promise<MailboxMeta[]> {
  const out: MailboxMeta[] = [];
  for (let i = 0; i < ids.length; i += 100) {
    const items = await ctx.kv.batchGet('mail', ids.slice(i, i + 100).map((m) => keys.mailbox(m)), { consistent: true });
    for (const item of items) if (item.state === 'active') out.push(metaFromItem(item));
  }
  return out;
}

/**
 * Other users' and Shared/ mailboxes on which the caller holds `need` (LIST: `l`), with its rights on each.
 * `mine`: the caller's share index (its `SH#` items) when the caller reads them anyway (LIST reads them with its
 * names and subscriptions, mailboxes.ts listMailboxes, while the tenant's two indexes are queried here); otherwise
 * they are queried here.
 */
export async function visibleShared(
  ctx: StoreContext,
  caller: Caller,
  need: 'l' | 'r' = 'l',
  mine?: Promise<readonly KvItem[]>,
): Promise<Visible[]> {
  const sharedOwner = sharedOwnerOf(caller.tenantId);
  const [mineItems, anyone, shared] = await Promise.all([
    mine ?? queryAll(ctx, `U#${caller.userId}`, 'SH#'),
    queryAll(ctx, `T#${caller.tenantId}`, 'SH#'),
    queryAll(ctx, `U#${sharedOwner}`, 'N#'),
  ]);
  const ownerLogin = new Map<string, string>();
  for (const item of [...mineItems, ...anyone]) ownerLogin.set(item.sk.slice(3), item.ownerLogin as string);
  const ids = [...new Set([...ownerLogin.keys(), ...shared.map((n) => n.mailboxId as string)])] as MailboxId[];
  const out: Visible[] = [];
  for (const meta of await metas(ctx, ids)) {
    if (meta.tenant !== caller.tenantId || meta.owner === caller.userId) continue;
    const rights = rightsOf(meta, caller);
    if (!rights.includes(need)) continue;
    const login = ownerLogin.get(meta.mailboxId);
    const path =
      meta.owner === sharedOwner ? `${SHARED}${DELIMITER}${meta.path}` : login ? `${OTHER_USERS}${DELIMITER}${login}${DELIMITER}${meta.path}` : undefined;
    if (path) out.push({ meta, path, rights });
  }
  return out;
}

/** LIST entries for the shared mailboxes the caller sees (their parents appear as \Noselect, RFC 4314 §4 LIST). */
export async function sharedListEntries(ctx: StoreContext, caller: Caller, mine?: Promise<readonly KvItem[]>): Promise<MailboxListEntry[]> {
  return (await visibleShared(ctx, caller, 'l', mine)).map((v) => ({ path: v.path, mailboxId: v.meta.mailboxId, specialUse: v.meta.specialUse, subscribed: false }));
}

/**
 * The owners whose messages the caller may read (cold items, bodies): its own, and those of every mailbox shared
 * with it (found through the share index, which holds every grantee of `l` or `r`) where it holds `r`. EmailIds are unguessable (80 random bits) and
 * are learnt only by opening such a mailbox.
 */
export async function readableOwners(ctx: StoreContext, caller: Caller): Promise<Set<string>> {
  const owners = new Set<string>([caller.userId]);
  for (const v of await visibleShared(ctx, caller, 'r')) owners.add(v.meta.owner);
  return owners;
}
