// Mailboxes: create, delete, rename, list, subscribe, status, open (the SELECT load) and changes (the log since a
// modseq). Names are separate items from the mailbox, so RENAME is a name swap and ids never change (R6).
import { ConditionFailedError } from '../storage/errors.js';
import type { KvItem, TxAction } from '../storage/kv.js';
import type { HotList, LogEntry, MailboxListEntry, MailboxStatus } from './api.js';
import { commitMailbox, metaFromItem, type MailboxMeta } from './commit.js';
import type { Caller, StoreContext } from './context.js';
import { MailStoreError } from './errors.js';
import { newMailboxId, type MailboxId, type ModSeq } from './ids.js';
import { blobKeys, keys } from './keys.js';
import { DELIMITER, normalizePath, superiors } from './names.js';
import { FLAG_DELETED, FLAG_SEEN } from './flags.js';
import { queryAll } from './query-all.js';

const MAX_ATTEMPTS = 10;

/** Resolves a path of the caller to its mailbox id, or throws NONEXISTENT (TRYCREATE where the caller asks). */
export async function resolvePath(
  ctx: StoreContext,
  caller: Caller,
  rawPath: string,
  missing: 'NONEXISTENT' | 'TRYCREATE' = 'NONEXISTENT',
): Promise<{ mailboxId: MailboxId; path: string; specialUse: string | null }> {
  const path = normalizePath(rawPath);
  const name = await ctx.kv.get('mail', keys.mailboxName(caller.userId, path), { consistent: true });
  if (!name) throw new MailStoreError(missing, `Mailbox doesn't exist: ${path}`);
  return { mailboxId: name.mailboxId as MailboxId, path, specialUse: (name.specialUse as string | null) ?? null };
}

/** Reads META strongly and checks that the caller owns it (sharing comes with ACLs). */
export async function readMeta(ctx: StoreContext, caller: Caller, mailboxId: MailboxId): Promise<MailboxMeta> {
  const item = await ctx.kv.get('mail', keys.mailbox(mailboxId), { consistent: true });
  if (!item || item.state !== 'active' || item.owner !== caller.userId) {
    throw new MailStoreError('NONEXISTENT', 'Mailbox does not exist');
  }
  return metaFromItem(item);
}

export function statusOf(meta: MailboxMeta): MailboxStatus {
  return {
    mailboxId: meta.mailboxId,
    path: meta.path,
    uidValidity: meta.uidValidity,
    uidNext: meta.uidNext,
    highestModseq: meta.modseq,
    messages: meta.messages,
    unseen: meta.unseen,
    deleted: meta.deleted,
    bytes: meta.bytes,
    keywords: meta.keywords,
    specialUse: meta.specialUse,
  };
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
  const path = normalizePath(rawPath);
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
    for (const p of missing) {
      const mailboxId = newMailboxId();
      created = mailboxId;
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
    try {
      await ctx.kv.transactWrite(actions);
      return { mailboxId: created! };
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
      // The target's name item is the third-from-last group's first action: it already exists.
      if (err.actionIndex === actions.length - 4) throw new MailStoreError('ALREADYEXISTS', 'Mailbox already exists');
      // A superior appeared meanwhile or the high-water mark moved: plan again.
    }
  }
  throw new MailStoreError('UNAVAILABLE', 'Could not create the mailbox; try again');
}

export async function deleteMailbox(ctx: StoreContext, caller: Caller, rawPath: string): Promise<void> {
  const { mailboxId, path } = await resolvePath(ctx, caller, rawPath);
  if (path === 'INBOX') throw new MailStoreError('CANNOT', 'INBOX cannot be deleted');
  const children = await ctx.kv.query('mail', {
    pk: `U#${caller.userId}`,
    sk: { beginsWith: `N#${path}${DELIMITER}` },
    limit: 1,
    consistent: true,
  });
  if (children.items.length > 0) throw new MailStoreError('CANNOT', 'Mailbox has children, delete them first');
  await commitMailbox(ctx, mailboxId, caller.session, async (meta) => {
    if (meta.owner !== caller.userId) throw new MailStoreError('NONEXISTENT', 'Mailbox does not exist');
    return {
      actions: [
        {
          type: 'delete',
          table: 'mail',
          key: keys.mailboxName(caller.userId, path),
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
    if (items.length === 0) return;
    await ctx.kv.transactWrite(items.map((i) => ({ type: 'delete', table: 'mail', key: { pk: i.pk, sk: i.sk } })));
  }
}

export async function renameMailbox(ctx: StoreContext, caller: Caller, rawFrom: string, rawTo: string): Promise<void> {
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
      await commitMailbox(ctx, move.mailboxId, caller.session, async () => ({
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
      }));
    } catch (err) {
      if (err instanceof MailStoreError && err.code === 'UNAVAILABLE') {
        throw new MailStoreError('ALREADYEXISTS', `Mailbox already exists: ${move.newPath}`);
      }
      throw err;
    }
  }
  if (from.path === 'INBOX') await createMailbox(ctx, caller, 'INBOX');
}

export async function listMailboxes(ctx: StoreContext, caller: Caller): Promise<MailboxListEntry[]> {
  const [names, subs] = await Promise.all([
    queryAll(ctx, `U#${caller.userId}`, 'N#'),
    queryAll(ctx, `U#${caller.userId}`, 'S#'),
  ]);
  const subscribed = new Set(subs.map((s) => s.sk.slice(2)));
  const out: MailboxListEntry[] = names.map((n) => ({
    path: n.sk.slice(2),
    mailboxId: n.mailboxId as string,
    specialUse: (n.specialUse as string | null) ?? null,
    subscribed: subscribed.has(n.sk.slice(2)),
  }));
  const existing = new Set(out.map((e) => e.path));
  for (const path of subscribed) {
    if (!existing.has(path)) out.push({ path, mailboxId: null, specialUse: null, subscribed: true });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export async function setSubscribed(ctx: StoreContext, caller: Caller, rawPath: string, subscribed: boolean): Promise<void> {
  const path = normalizePath(rawPath);
  if (subscribed) {
    await resolvePath(ctx, caller, path);
    await ctx.kv.put('mail', { ...keys.subscription(caller.userId, path) });
  } else {
    await ctx.kv.delete('mail', keys.subscription(caller.userId, path));
  }
}

export async function mailboxStatus(ctx: StoreContext, caller: Caller, rawPath: string): Promise<MailboxStatus> {
  const { mailboxId } = await resolvePath(ctx, caller, rawPath);
  return statusOf(await readMeta(ctx, caller, mailboxId));
}

export function emptyHotList(): HotList {
  return { uids: [], flags: [], keywords: [], modseqs: [], sizes: [], dates: [], emailIds: [] };
}

export function appendHot(list: HotList, item: KvItem): void {
  list.uids.push(Number(item.sk.slice(2)));
  list.flags.push(item.f as number);
  list.keywords.push((item.k as string[] | undefined) ?? []);
  list.modseqs.push(item.m as number);
  list.sizes.push(item.z as number);
  list.dates.push(item.d as number);
  list.emailIds.push(item.e as string);
}

/**
 * SELECT's load: META, then every hot item, then the log since META's modseq, so the result is consistent as of the
 * last log entry even though the page scan is not a point-in-time read (§C5 "fuzzy checkpoint + redo").
 */
export async function openMailbox(
  ctx: StoreContext,
  caller: Caller,
  rawPath: string,
): Promise<{ status: MailboxStatus; messages: HotList; blobPrefix: string }> {
  const { mailboxId } = await resolvePath(ctx, caller, rawPath);
  const meta = await readMeta(ctx, caller, mailboxId);
  const items = await queryAll(ctx, `M#${mailboxId}`, 'U#');
  const messages = emptyHotList();
  for (const item of items) appendHot(messages, item);
  let status = statusOf(meta);
  const tail = await mailboxChanges(ctx, caller, mailboxId, meta.modseq);
  if (tail.resync) return openMailbox(ctx, caller, rawPath);
  if (tail.entries.length > 0) {
    applyEntries(messages, tail.entries);
    status = tail.status;
  }
  return { status, messages, blobPrefix: blobKeys.userPrefix(meta.tenant, meta.owner) };
}

/** Applies log entries to a hot list, each to a message only if it is newer than the message (§C5). */
export function applyEntries(list: HotList, entries: LogEntry[]): void {
  for (const entry of entries) {
    if (entry.op === 'A') {
      for (let i = 0; i < entry.added.uids.length; i++) {
        const uid = entry.added.uids[i]!;
        if (list.uids.includes(uid)) continue;
        list.uids.push(uid);
        list.flags.push(entry.added.flags[i]!);
        list.keywords.push(entry.added.keywords[i]!);
        list.modseqs.push(entry.added.modseqs[i]!);
        list.sizes.push(entry.added.sizes[i]!);
        list.dates.push(entry.added.dates[i]!);
        list.emailIds.push(entry.added.emailIds[i]!);
      }
    } else if (entry.op === 'F') {
      entry.uids.forEach((uid, i) => {
        const at = list.uids.indexOf(uid);
        if (at >= 0 && list.modseqs[at]! < entry.modseq) {
          list.flags[at] = entry.flags[i]!;
          list.keywords[at] = entry.keywords[i]!;
          list.modseqs[at] = entry.modseq;
        }
      });
    } else if (entry.op === 'X') {
      const gone = new Set(entry.uids);
      const keep = list.uids.map((u) => !gone.has(u));
      for (const column of Object.values(list) as unknown[][]) {
        const kept = column.filter((_, i) => keep[i]);
        column.length = 0;
        column.push(...kept);
      }
    }
  }
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
): Promise<{ status: MailboxStatus; entries: LogEntry[]; resync: boolean }> {
  const meta = await readMeta(ctx, caller, mailboxId);
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

function entryOf(item: KvItem): LogEntry {
  const modseq = Number(item.sk.slice(2));
  const by = item.by as string;
  switch (item.op) {
    case 'A':
      return {
        modseq,
        op: 'A',
        by,
        added: {
          uids: item.u as number[],
          flags: item.f as number[],
          keywords: item.k as string[][],
          modseqs: (item.u as number[]).map(() => modseq),
          sizes: item.z as number[],
          dates: item.d as number[],
          emailIds: item.e as string[],
        },
      };
    case 'F':
      return { modseq, op: 'F', by, uids: item.u as number[], flags: item.f as number[], keywords: item.k as string[][] };
    case 'X':
      return { modseq, op: 'X', by, uids: item.u as number[] };
    default:
      return { modseq, op: item.op as 'N' | 'R' | 'D', by };
  }
}

export function countersOf(flags: number): { unseen: number; deleted: number } {
  return { unseen: flags & FLAG_SEEN ? 0 : 1, deleted: flags & FLAG_DELETED ? 1 : 0 };
}
