// Mailboxes: create, delete, rename, list, subscribe, status, open (the SELECT load) and changes (the log since a
// modseq). Names are separate items from the mailbox, so RENAME is a name swap and ids never change (R6).
import { BlobNotFoundError, ConditionFailedError } from '../storage/errors.js';
import { applyEntries } from './hot-list.js';
import type { KvItem, TxAction } from '../storage/kv.js';
import type { HotList, IndexSnapshotRef, LogEntry, MailboxListEntry, MailboxStatus } from './api.js';
import { HotColumns, applyEntriesToColumns } from './hot-columns.js';
import { SnapshotFormatError } from './index-snapshot.js';
import { pointerOf, policyOf, readSnapshot, writeInBackground, writeSnapshot } from './snapshots.js';
import { commitMailbox, metaFromItem, type CommitPlan, type MailboxMeta } from './commit.js';
import type { Caller, StoreContext } from './context.js';
import { MailStoreError } from './errors.js';
import { newMailboxId, type MailboxId, type ModSeq, type TenantId, type UserId } from './ids.js';
import { blobKeys, keys } from './keys.js';
import { DELIMITER, normalizePath, superiors } from './names.js';
import { FLAG_DELETED, FLAG_SEEN } from './flags.js';
import { queryAll } from './query-all.js';
import { ALL_RIGHTS, aclVersionCondition, requireRights, rightsOf, type Acl } from './acl.js';
import { asOwner, namespacePath, sharedOwnerOf } from './acl-paths.js';
import { dropShareIndex, inheritedAcl } from './acl-store.js';
import { sharedListEntries } from './acl-list.js';
import { countUnclaimed, recentFloor } from './unclaimed.js';
import { entryOf, statusOf } from './log-entry.js';

// statusOf moved to log-entry.ts (the commit path needs it without this module); its importers keep this path.
export { statusOf };

const MAX_ATTEMPTS = 10;

/** Resolves a path of the caller to its mailbox id, or throws NONEXISTENT (TRYCREATE where the caller asks). */
export async function resolvePath(
  ctx: StoreContext,
  caller: Caller,
  rawPath: string,
  missing: 'NONEXISTENT' | 'TRYCREATE' = 'NONEXISTENT',
): Promise<{ mailboxId: MailboxId; path: string; specialUse: string | null; owner: UserId; ownerPath: string }> {
  // Any namespace (acl-paths.ts): the name item lives in the owner's partition; rights are checked on META.
  const { owner, ownerPath, prefix } = await namespacePath(ctx, caller, rawPath);
  const path = prefix + ownerPath;
  const name = await ctx.kv.get('mail', keys.mailboxName(owner, ownerPath), { consistent: true });
  if (!name) throw new MailStoreError(missing, `Mailbox doesn't exist: ${path}`);
  return { mailboxId: name.mailboxId as MailboxId, path, specialUse: (name.specialUse as string | null) ?? null, owner, ownerPath };
}

/** Reads META strongly and checks that the caller holds `rights` on it (RFC 4314 §4; the owner holds all). */
export async function readMeta(ctx: StoreContext, caller: Caller, mailboxId: MailboxId, rights = 'r'): Promise<MailboxMeta> {
  return checkedMeta(await ctx.kv.get('mail', keys.mailbox(mailboxId), { consistent: true }), caller, rights);
}

/** META as read, once it is an active mailbox on which the caller holds `rights`. */
export function checkedMeta(item: KvItem | undefined, caller: Caller, rights: string): MailboxMeta {
  if (!item || item.state !== 'active') throw new MailStoreError('NONEXISTENT', 'Mailbox does not exist');
  const meta = metaFromItem(item);
  requireRights(meta, caller, rights);
  return meta;
}

/**
 * CREATE (storage-design §C4): one transaction puts the name, META and the first log entry of the mailbox and of
 * any missing superiors (RFC 3501 §6.3.3), and moves the user's UIDVALIDITY high-water mark (R5).
 */
export async function createMailbox(
  ctx: StoreContext,
  caller: Caller,
  rawPath: string,
  specialUse: string | null = null,
): Promise<{ mailboxId: MailboxId }> {
  const ns = await namespacePath(ctx, caller, rawPath);
  if (ns.namespace === 'personal') return createOwned(ctx, caller, ns.ownerPath, specialUse);
  // RFC 4314 §4 CREATE: "k" on the nearest existing parent, whose ACL the new mailbox inherits. A new top-level
  // Shared/ mailbox is for tenant administrators, who get every right on it; nobody creates top-level in another
  // user's tree.
  let parent: MailboxMeta | undefined;
  for (const superior of superiors(ns.ownerPath).reverse()) {
    const name = await ctx.kv.get('mail', keys.mailboxName(ns.owner, superior), { consistent: true });
    if (name) {
      parent = await readMeta(ctx, caller, name.mailboxId as MailboxId, 'k');
      break;
    }
  }
  if (parent) {
    const from = parent;
    return createOwned(ctx, asOwner(caller, ns.owner), ns.ownerPath, specialUse, {
      // The "k" just checked must still hold when the mailbox is made (the parent's ACL version, in the transaction).
      guard: { type: 'check', table: 'mail', key: keys.mailbox(from.mailboxId), condition: aclVersionCondition(from.aclVersion) },
      forMailbox: (mailboxId) => inheritedAcl(ctx, from, mailboxId),
    });
  }
  if (ns.namespace !== 'shared' || !(await isTenantAdmin(ctx, caller))) {
    throw new MailStoreError('NOPERM', 'Permission denied: the "k" right on a parent mailbox is needed');
  }
  await ensureSharedOwner(ctx, caller);
  return createOwned(ctx, asOwner(caller, ns.owner), ns.ownerPath, specialUse, {
    forMailbox: async () => ({ acl: { [caller.login]: ALL_RIGHTS }, actions: [] }),
  });
}

async function isTenantAdmin(ctx: StoreContext, caller: Caller): Promise<boolean> {
  const user = await ctx.kv.get('mail', keys.user(caller.userId), { consistent: true });
  return user?.tenantAdmin === true && user.tenantId === caller.tenantId;
}

/** The user item of the tenant's Shared/ owner (UIDVALIDITY high-water mark, usage); made on first use. */
export async function ensureSharedOwner(ctx: StoreContext, caller: Pick<Caller, 'tenantId'>): Promise<void> {
  const owner = sharedOwnerOf(caller.tenantId);
  try {
    await ctx.kv.put(
      'mail',
      { ...keys.user(owner), tenantId: caller.tenantId, uidValidityHwm: 0, mailboxes: 0, usageBytes: 0, usageMessages: 0, status: 'active', shared: true },
      { condition: { op: 'notExists', attr: 'pk' } },
    );
  } catch (err) {
    if (!(err instanceof ConditionFailedError)) throw err;
  }
}

/** Initial ACL of a mailbox created in another owner's tree, and the items (share index, guards) that go with it. */
interface InitialAcl {
  guard?: TxAction;
  forMailbox: (mailboxId: MailboxId) => Promise<{ acl: Acl; actions: TxAction[] }>;
}

async function createOwned(
  ctx: StoreContext,
  caller: Caller,
  path: string,
  specialUse: string | null,
  initial?: InitialAcl,
): Promise<{ mailboxId: MailboxId }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const user = await ctx.kv.get('mail', keys.user(caller.userId), { consistent: true });
    if (!user) throw new MailStoreError('UNAUTHORIZED', 'User does not exist');
    const hwm = (user.uidValidityHwm as number | undefined) ?? 0;
    const missing: string[] = [];
    for (const superior of superiors(path)) {
      const existing = await ctx.kv.get('mail', keys.mailboxName(caller.userId, superior), { consistent: true });
      if (!existing) missing.push(superior);
    }
    missing.push(path);
    // RFC 9208 MAILBOX resource: checked here and, in the transaction, by the condition on the user's count.
    const mailboxLimit = user.quotaMailboxes as number | undefined;
    const mailboxCount = (user.mailboxes as number | undefined) ?? 0;
    if (mailboxLimit !== undefined && mailboxCount + missing.length > mailboxLimit) {
      throw new MailStoreError('OVERQUOTA', 'Mailbox quota exceeded');
    }

    let uidValidity = Math.max(Math.floor(Date.now() / 1000), hwm + 1);
    const actions: TxAction[] = [];
    let created: MailboxId | undefined;
    const prefix: TxAction[] = initial?.guard ? [initial.guard] : [];
    for (const p of missing) {
      const mailboxId = newMailboxId();
      created = mailboxId;
      const inherited = initial ? await initial.forMailbox(mailboxId) : undefined;
      if (inherited) prefix.push(...inherited.actions);
      actions.push(
        {
          type: 'put',
          table: 'mail',
          item: { ...keys.mailboxName(caller.userId, p), mailboxId, specialUse: p === path ? specialUse : null },
          condition: { op: 'notExists', attr: 'pk' },
        },
        {
          type: 'put',
          table: 'mail',
          item: {
            ...keys.mailbox(mailboxId),
            owner: caller.userId,
            tenant: caller.tenantId,
            path: p,
            uidValidity,
            uidNext: 1,
            modseq: 1,
            messages: 0,
            unseen: 0,
            deleted: 0,
            bytes: 0,
            keywords: [],
            specialUse: p === path ? specialUse : null,
            state: 'active',
            acl: inherited?.acl ?? {},
            aclVersion: 0,
          },
          condition: { op: 'notExists', attr: 'pk' },
        },
        {
          type: 'put',
          table: 'mail',
          item: { ...keys.log(mailboxId, 1 as ModSeq), op: 'N', by: caller.session, at: Date.now() },
        },
      );
      uidValidity += 1;
    }
    actions.push({
      type: 'update',
      table: 'mail',
      key: keys.user(caller.userId),
      update: { set: { uidValidityHwm: uidValidity - 1 }, add: { mailboxes: missing.length } },
      condition:
        mailboxLimit === undefined
          ? { op: 'eq', attr: 'uidValidityHwm', value: hwm }
          : {
              op: 'and',
              conditions: [
                { op: 'eq', attr: 'uidValidityHwm', value: hwm },
                { op: 'le', attr: 'mailboxes', value: mailboxLimit - missing.length },
              ],
            },
    });
    // ACL items go first, so the positions counted from the end below stay as they were.
    actions.unshift(...prefix);
    try {
      await ctx.kv.transactWrite(actions);
      return { mailboxId: created! };
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
      if (err.actionIndex < prefix.length) throw new MailStoreError('UNAVAILABLE', 'The parent ACL changed meanwhile; try again');
      // The target's name item is the third-from-last group's first action: it already exists.
      if (err.actionIndex === actions.length - 4) throw new MailStoreError('ALREADYEXISTS', 'Mailbox already exists');
      // A superior appeared meanwhile or the high-water mark moved: plan again.
    }
  }
  throw new MailStoreError('UNAVAILABLE', 'Could not create the mailbox; try again');
}

export async function deleteMailbox(ctx: StoreContext, caller: Caller, rawPath: string): Promise<void> {
  const { mailboxId, owner, ownerPath: path } = await resolvePath(ctx, caller, rawPath);
  if (path === 'INBOX') throw new MailStoreError('CANNOT', 'INBOX cannot be deleted');
  const children = await ctx.kv.query('mail', {
    pk: `U#${owner}`,
    sk: { beginsWith: `N#${path}${DELIMITER}` },
    limit: 1,
    consistent: true,
  });
  if (children.items.length > 0) throw new MailStoreError('CANNOT', 'Mailbox has children, delete them first');
  const deleted = await commitMailbox(ctx, mailboxId, caller.session, async (meta) => {
    requireRights(meta, caller, 'x'); // RFC 4314 §4 DELETE
    return {
      actions: [
        {
          type: 'delete',
          table: 'mail',
          key: keys.mailboxName(owner, path),
          condition: { op: 'eq', attr: 'mailboxId', value: mailboxId },
        },
      ],
      setMeta: { state: 'deleted' },
      log: { op: 'D' },
      usage: { bytes: -meta.bytes, messages: -meta.messages, mailboxes: -1 },
      result: undefined,
    };
  });
  await purgeMailbox(ctx, mailboxId);
  await dropShareIndex(ctx, deleted.meta);
}

/**
 * Removes the items of a deleted mailbox. Nothing can commit to it any more (META.state is 'deleted'), so plain
 * deletes are safe; blobs are left to the GC sweep (§C8). META stays as a tombstone.
 */
async function purgeMailbox(ctx: StoreContext, mailboxId: MailboxId): Promise<void> {
  for (;;) {
    const page = await ctx.kv.query('mail', { pk: `M#${mailboxId}`, sk: { beginsWith: 'L#' }, limit: 100, consistent: true });
    const hot = await ctx.kv.query('mail', { pk: `M#${mailboxId}`, sk: { beginsWith: 'U#' }, limit: 100, consistent: true });
    const items = [...page.items, ...hot.items].slice(0, 100);
    if (items.length === 0) break;
    await ctx.kv.transactWrite(items.map((i) => ({ type: 'delete', table: 'mail', key: { pk: i.pk, sk: i.sk } })));
  }
  // The mailbox's other items: the \Recent floor (recent.ts) and a POP3 lease (leases.ts) mean nothing any more.
  await ctx.kv.delete('mail', keys.mailboxRecent(mailboxId));
  await ctx.kv.delete('mail', keys.mailboxLease(mailboxId));
}

export async function renameMailbox(ctx: StoreContext, caller: Caller, rawFrom: string, rawTo: string): Promise<void> {
  const source = await resolvePath(ctx, caller, rawFrom);
  const target = await namespacePath(ctx, caller, rawTo);
  if (source.owner === caller.userId && target.owner === caller.userId) return renameOwned(ctx, caller, rawFrom, rawTo);
  // RFC 4314 §4 RENAME: "x" on the mailbox, "k" on the new parent. Names are per owner: no RENAME across owners.
  if (source.owner !== target.owner || source.ownerPath === 'INBOX') throw new MailStoreError('CANNOT', 'Cannot rename across owners');
  const parentPath = superiors(target.ownerPath).pop();
  const parent = parentPath && (await ctx.kv.get('mail', keys.mailboxName(target.owner, parentPath), { consistent: true }));
  if (parent) await readMeta(ctx, caller, parent.mailboxId as MailboxId, 'k');
  else if (target.namespace !== 'shared' || !(await isTenantAdmin(ctx, caller))) {
    throw new MailStoreError('NOPERM', 'Permission denied: the "k" right on the new parent is needed');
  }
  await renameOwned(ctx, asOwner(caller, source.owner), source.ownerPath, target.ownerPath, (meta) => requireRights(meta, caller, 'x'));
}

async function renameOwned(
  ctx: StoreContext,
  caller: Caller,
  rawFrom: string,
  rawTo: string,
  check?: (meta: MailboxMeta) => void,
): Promise<void> {
  const from = await resolvePath(ctx, caller, rawFrom);
  const to = normalizePath(rawTo);
  if (to === from.path) throw new MailStoreError('ALREADYEXISTS', 'Mailbox already exists');
  if (to.startsWith(from.path + DELIMITER)) throw new MailStoreError('CANNOT', 'Cannot move a mailbox into itself');
  if (await ctx.kv.get('mail', keys.mailboxName(caller.userId, to), { consistent: true })) {
    throw new MailStoreError('ALREADYEXISTS', 'Mailbox already exists');
  }
  // RFC 3501 §6.3.5: renaming INBOX moves its messages and leaves its inferiors alone; others take their subtree.
  const moves: { mailboxId: MailboxId; oldPath: string; newPath: string; specialUse: string | null }[] = [
    { mailboxId: from.mailboxId, oldPath: from.path, newPath: to, specialUse: from.specialUse },
  ];
  if (from.path !== 'INBOX') {
    for (const child of await queryAll(ctx, `U#${caller.userId}`, `N#${from.path}${DELIMITER}`)) {
      const oldPath = child.sk.slice(2);
      moves.push({
        mailboxId: child.mailboxId as MailboxId,
        oldPath,
        newPath: to + oldPath.slice(from.path.length),
        specialUse: (child.specialUse as string | null) ?? null,
      });
    }
  }
  for (const superior of superiors(to)) {
    if (!(await ctx.kv.get('mail', keys.mailboxName(caller.userId, superior), { consistent: true }))) {
      await createMailbox(ctx, caller, superior);
    }
  }
  for (const move of moves) {
    try {
      await commitMailbox(ctx, move.mailboxId, caller.session, async (meta) => {
        if (move.mailboxId === from.mailboxId) check?.(meta);
        return planRename(move);
      });
    } catch (err) {
      if (err instanceof MailStoreError && err.code === 'UNAVAILABLE') {
        throw new MailStoreError('ALREADYEXISTS', `Mailbox already exists: ${move.newPath}`);
      }
      throw err;
    }
  }
  if (from.path === 'INBOX') await createMailbox(ctx, caller, 'INBOX');

  function planRename(move: (typeof moves)[number]): CommitPlan<undefined> {
    return {
      actions: [
        {
          type: 'delete',
          table: 'mail',
          key: keys.mailboxName(caller.userId, move.oldPath),
          condition: { op: 'eq', attr: 'mailboxId', value: move.mailboxId },
        },
        {
          type: 'put',
          table: 'mail',
          item: { ...keys.mailboxName(caller.userId, move.newPath), mailboxId: move.mailboxId, specialUse: move.specialUse },
          condition: { op: 'notExists', attr: 'pk' },
        },
      ],
      setMeta: { path: move.newPath },
      log: { op: 'R' },
      result: undefined,
    };
  }
}

/**
 * The caller's names (N#), subscriptions (S#) and share index (SH#): adjacent in the sort order of its user
 * partition (keys.ts listItems), so ONE query reads all three where three prefix queries did; it reads exactly the
 * same items (no other kind of item sorts between N# and SH#), so it costs no more read capacity.
 */
async function ownListItems(ctx: StoreContext, caller: Caller): Promise<{ names: KvItem[]; subs: KvItem[]; shares: KvItem[] }> {
  const range = keys.listItems(caller.userId);
  const names: KvItem[] = [];
  const subs: KvItem[] = [];
  const shares: KvItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.kv.query('mail', { pk: range.pk, sk: { between: range.between }, cursor, consistent: true });
    for (const item of page.items) {
      if (item.sk.startsWith('N#')) names.push(item);
      else if (item.sk.startsWith('SH#')) shares.push(item);
      else if (item.sk.startsWith('S#')) subs.push(item);
    }
    cursor = page.cursor;
  } while (cursor);
  return { names, subs, shares };
}

export async function listMailboxes(ctx: StoreContext, caller: Caller): Promise<MailboxListEntry[]> {
  // The user's query and the tenant's two (acl-list.ts) run at once: one round trip to the store, not two.
  const own = ownListItems(ctx, caller);
  const [{ names, subs }, shared] = await Promise.all([own, sharedListEntries(ctx, caller, own.then((o) => o.shares))]);
  const subscribed = new Set(subs.map((s) => s.sk.slice(2)));
  const out: MailboxListEntry[] = names.map((n) => ({
    path: n.sk.slice(2),
    mailboxId: n.mailboxId as string,
    specialUse: (n.specialUse as string | null) ?? null,
    subscribed: subscribed.has(n.sk.slice(2)),
  }));
  // Other users' and Shared/ mailboxes the caller may see (RFC 4314 `l`), found through the share index.
  for (const e of shared) out.push({ ...e, subscribed: subscribed.has(e.path) });
  const existing = new Set(out.map((e) => e.path));
  for (const path of subscribed) {
    if (!existing.has(path)) out.push({ path, mailboxId: null, specialUse: null, subscribed: true });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export async function setSubscribed(ctx: StoreContext, caller: Caller, rawPath: string, subscribed: boolean): Promise<void> {
  const path = normalizePath(rawPath);
  if (subscribed) {
    const { mailboxId, owner } = await resolvePath(ctx, caller, path);
    if (owner !== caller.userId) await readMeta(ctx, caller, mailboxId, 'l'); // RFC 4314 §4 SUBSCRIBE
    await ctx.kv.put('mail', { ...keys.subscription(caller.userId, path) });
  } else {
    await ctx.kv.delete('mail', keys.subscription(caller.userId, path));
  }
}

export async function mailboxStatus(
  ctx: StoreContext,
  caller: Caller,
  rawPath: string,
  options: { unclaimed?: boolean; mailboxId?: MailboxId } = {},
): Promise<MailboxStatus> {
  if (options.mailboxId !== undefined) {
    const hinted = await statusByKnownId(ctx, caller, rawPath, options.mailboxId, options.unclaimed === true);
    if (hinted) return hinted;
  }
  const { mailboxId, path } = await resolvePath(ctx, caller, rawPath);
  if (!options.unclaimed) return { ...statusOf(await readMeta(ctx, caller, mailboxId)), path }; // STATUS needs "r" (RFC 4314 §4)
  // META and the RECENT floor in one read; the count then needs at most one query (unclaimed.ts).
  const both = await ctx.kv.batchGet('mail', [keys.mailbox(mailboxId), keys.mailboxRecent(mailboxId)], { consistent: true });
  const meta = checkedMeta(both.find((i) => i.sk === keys.mailbox(mailboxId).sk), caller, 'r');
  const floor = recentFloor(both.find((i) => i.sk === keys.mailboxRecent(mailboxId).sk));
  return { ...statusOf(meta), path, unclaimed: await countUnclaimed(ctx, mailboxId, meta, floor) };
}

/**
 * STATUS without the name read, when the frontend knows which mailbox the path named last time: META alone decides
 * whether that is still so. RENAME and DELETE change the name items and META (`path`, `state`) in one transaction,
 * so a strongly consistent META that is active, has this owner and this path is exactly what the name item would
 * have led to. Anything else (renamed away, deleted, another owner's id) answers undefined: resolve the path.
 */
async function statusByKnownId(
  ctx: StoreContext,
  caller: Caller,
  rawPath: string,
  mailboxId: MailboxId,
  unclaimed: boolean,
): Promise<MailboxStatus | undefined> {
  const { owner, ownerPath, prefix } = await namespacePath(ctx, caller, rawPath);
  const metaKey = keys.mailbox(mailboxId);
  const read = unclaimed
    ? await ctx.kv.batchGet('mail', [metaKey, keys.mailboxRecent(mailboxId)], { consistent: true })
    : [await ctx.kv.get('mail', metaKey, { consistent: true })];
  const item = read.find((i) => i?.sk === metaKey.sk);
  if (!item || item.state !== 'active' || item.owner !== owner || item.path !== ownerPath) return undefined;
  const meta = checkedMeta(item, caller, 'r'); // STATUS needs "r" (RFC 4314 §4)
  const status = { ...statusOf(meta), path: prefix + ownerPath };
  if (!unclaimed) return status;
  const floor = recentFloor(read.find((i) => i?.sk === keys.mailboxRecent(mailboxId).sk));
  return { ...status, unclaimed: await countUnclaimed(ctx, mailboxId, meta, floor) };
}

export function emptyHotList(): HotList {
  return { uids: [], flags: [], keywords: [], modseqs: [], sizes: [], dates: [], emailIds: [], saveDates: [] };
}

export function appendHot(list: HotList, item: KvItem): void {
  list.uids.push(Number(item.sk.slice(2)));
  list.flags.push(item.f as number);
  list.keywords.push((item.k as string[] | undefined) ?? []);
  list.modseqs.push(item.m as number);
  list.sizes.push(item.z as number);
  list.dates.push(item.d as number);
  list.emailIds.push(item.e as string);
  // 0: stored before save dates were kept (RFC 8514 §4.2 then answers NIL).
  (list.saveDates ??= []).push((item.s as number | undefined) ?? 0);
}

/**
 * SELECT's load: META, then every hot item, then the log since META's modseq, so the result is consistent as of the
 * last log entry even though the page scan is not a point-in-time read (§C5 "fuzzy checkpoint + redo"). When the
 * mailbox has an index snapshot that the log still reaches back to, the snapshot replaces the hot-item pages
 * (snapshots.ts): the caller that accepts it reads it itself; for others it is decoded here.
 */
export async function openMailbox(
  ctx: StoreContext,
  caller: Caller,
  rawPath: string,
  options: { acceptSnapshot?: boolean } = {},
): Promise<{ status: MailboxStatus; messages: HotList; blobPrefix: string; rights: string; snapshot?: IndexSnapshotRef }> {
  const { mailboxId, path } = await resolvePath(ctx, caller, rawPath);
  // META and the snapshot pointer in one read (the pointer costs no extra call); SELECT/EXAMINE need "r" (RFC 4314 §4).
  const both = await ctx.kv.batchGet('mail', [keys.mailbox(mailboxId), keys.mailboxSnapshot(mailboxId)], { consistent: true });
  const firstMeta = checkedMeta(both.find((i) => i.sk === keys.mailbox(mailboxId).sk), caller, 'r');
  const pointer = pointerOf(both.find((i) => i.sk === keys.mailboxSnapshot(mailboxId).sk));
  // The pointer may have moved past the META read beside it: then META again, so the status is not older than it.
  const meta = pointer && pointer.modseq > firstMeta.modseq ? await readMeta(ctx, caller, mailboxId) : firstMeta;
  const blobPrefix = blobKeys.userPrefix(meta.tenant, meta.owner);
  // `rights`: the frontend answers READ-ONLY without i, e, s, w and t (RFC 4314 §5.2).
  const rights = rightsOf(meta, caller);
  const owner = { tenantId: meta.tenant, userId: meta.owner, mailboxId };
  if (pointer) {
    const tail = await mailboxChanges(ctx, caller, mailboxId, pointer.modseq, meta);
    // A trimmed log (a gap after the snapshot's MODSEQ): the snapshot cannot be brought forward, load in full.
    if (!tail.resync) {
      const status = { ...tail.status, path };
      const refresh = tail.entries.length >= policyOf(ctx).everyEntries;
      if (options.acceptSnapshot) {
        if (refresh) refreshInBackground(ctx, owner, pointer.key, tail.entries, tail.status.highestModseq);
        const url = ctx.blobUrls ? await ctx.blobUrls.getUrl(pointer.key) : undefined;
        const snapshot: IndexSnapshotRef = { key: pointer.key, modseq: pointer.modseq, entries: tail.entries, ...(url ? { url } : {}) };
        return { status, messages: emptyHotList(), blobPrefix, rights, snapshot };
      }
      const columns = await readSnapshotOrNone(ctx, pointer.key);
      if (columns) {
        applyEntriesToColumns(columns, tail.entries);
        if (refresh) writeInBackground(mailboxId, () => writeSnapshot(ctx, owner, columns, tail.status.highestModseq), ctx.onSnapshotError);
        return { status, messages: columns.toHotList(), blobPrefix, rights };
      }
    }
  }
  const items = await queryAll(ctx, `M#${mailboxId}`, 'U#');
  const messages = emptyHotList();
  for (const item of items) appendHot(messages, item);
  let status = statusOf(meta);
  const tail = await mailboxChanges(ctx, caller, mailboxId, meta.modseq);
  if (tail.resync) return openMailbox(ctx, caller, rawPath, options);
  if (tail.entries.length > 0) {
    applyEntries(messages, tail.entries);
    status = tail.status;
  }
  const policy = policyOf(ctx);
  // A big mailbox without a snapshot, or one whose snapshot could not be used (trimmed log, blob gone): write one.
  if (messages.uids.length >= policy.minMessages || pointer) {
    const columns = HotColumns.fromHotList(messages);
    writeInBackground(mailboxId, () => writeSnapshot(ctx, owner, columns, status.highestModseq), ctx.onSnapshotError);
  }
  return { status: { ...status, path }, messages, blobPrefix, rights };
}

/** The snapshot at `key` brought forward by `entries` and written anew, beside the request (never in a commit). */
function refreshInBackground(
  ctx: StoreContext,
  owner: { tenantId: TenantId; userId: UserId; mailboxId: MailboxId },
  key: string,
  entries: readonly LogEntry[],
  modseq: number,
): void {
  writeInBackground(
    owner.mailboxId,
    async () => {
      const columns = await readSnapshotOrNone(ctx, key);
      if (!columns) return;
      applyEntriesToColumns(columns, entries);
      await writeSnapshot(ctx, owner, columns, modseq);
    },
    ctx.onSnapshotError,
  );
}

/** The decoded snapshot, or undefined when it is gone (the GC removed a superseded one) or unreadable. */
async function readSnapshotOrNone(ctx: StoreContext, key: string): Promise<HotColumns | undefined> {
  try {
    return (await readSnapshot(ctx, key)).columns;
  } catch (err) {
    if (err instanceof BlobNotFoundError || err instanceof SnapshotFormatError) return undefined;
    throw err;
  }
}

export { applyEntries };

/**
 * SELECT of a mailbox the frontend keeps a snapshot of as of `known.since` (mailbox-cache.ts): when the path still
 * names that mailbox and the log reaches back, only the log after `since` — a name, a META read and at most one log
 * query instead of every hot item. Otherwise the whole mailbox, as `mailbox.open` answers it.
 */
export async function reopenMailbox(
  ctx: StoreContext,
  caller: Caller,
  rawPath: string,
  known: { mailboxId: string; since: number },
): Promise<{ status: MailboxStatus; entries: LogEntry[]; messages?: HotList; blobPrefix: string; rights: string }> {
  const { mailboxId, path } = await resolvePath(ctx, caller, rawPath);
  if (mailboxId === known.mailboxId) {
    const meta = await readMeta(ctx, caller, mailboxId); // as openMailbox: SELECT/EXAMINE need "r"
    const tail = await mailboxChanges(ctx, caller, mailboxId, known.since, meta);
    if (!tail.resync) {
      const blobPrefix = blobKeys.userPrefix(meta.tenant, meta.owner);
      return { status: { ...tail.status, path }, entries: tail.entries, blobPrefix, rights: rightsOf(meta, caller) };
    }
  }
  return { ...(await openMailbox(ctx, caller, rawPath)), entries: [] };
}

/**
 * The change log after `since` (strongly consistent). MODSEQ is dense (I2), so a missing number means the log was
 * truncated: the caller must reload rather than silently skip a change.
 */
export async function mailboxChanges(
  ctx: StoreContext,
  caller: Caller,
  mailboxId: MailboxId,
  since: number,
  knownMeta?: MailboxMeta,
): Promise<{ status: MailboxStatus; entries: LogEntry[]; resync: boolean }> {
  const meta = knownMeta ?? (await readMeta(ctx, caller, mailboxId));
  const status = statusOf(meta);
  if (meta.modseq <= since) return { status, entries: [], resync: false };
  const entries: LogEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.kv.query('mail', {
      pk: `M#${mailboxId}`,
      sk: { between: [keys.logSortKey(since + 1), keys.logSortKey(meta.modseq)] },
      cursor,
      consistent: true,
    });
    for (const item of page.items) entries.push(entryOf(item));
    cursor = page.cursor;
  } while (cursor);
  const dense = entries.length === meta.modseq - since && entries.every((e, i) => e.modseq === since + 1 + i);
  return { status, entries: dense ? entries : [], resync: !dense };
}

export function countersOf(flags: number): { unseen: number; deleted: number } {
  return { unseen: flags & FLAG_SEEN ? 0 : 1, deleted: flags & FLAG_DELETED ? 1 : 0 };
}
