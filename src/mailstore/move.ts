// MOVE (RFC 6851, storage-design §C4): hot items only. Each batch of ≤48 messages is ONE transaction over both
// mailboxes (commitMailboxPair): the source items are deleted and the destination items put, both METAs are
// compare-and-swapped and each mailbox gets its change-log item (X in the source, A in the destination). So every
// message is either moved or left where it was, never in both or neither (R16), even when a later batch fails.
// The destination UIDs of a batch are contiguous and in source-UID order (COPYUID, R17).
import type { KvItem, TxAction } from '../storage/kv.js';
import type { HotList, ResponseOf } from './api.js';
import { commitMailboxPair } from './commit.js';
import type { Caller, StoreContext } from './context.js';
import { MailStoreError } from './errors.js';
import type { MailboxId, Uid } from './ids.js';
import { keys, uidFromSortKey } from './keys.js';
import { appendHot, countersOf, emptyHotList, resolvePath } from './mailboxes.js';
import { requireRights } from './acl.js';
import { moveAcrossOwners } from './acl-move.js';
import { OwnChangeRun } from './own-change.js';

/** Messages per transaction: 2 per message + 2 META + 2 log items ≤ 100 actions (§C4). */
export const MOVE_BATCH = 48;

export async function moveMessages(
  ctx: StoreContext,
  caller: Caller,
  input: { mailboxId: string; uids: number[]; to: string },
): Promise<ResponseOf<'message.move'>> {
  const source = input.mailboxId as MailboxId;
  const { mailboxId: target, owner } = await resolvePath(ctx, caller, input.to, 'TRYCREATE');
  if (target === source) throw new MailStoreError('CANNOT', 'Source and destination are the same mailbox');
  const from = await ctx.kv.get('mail', keys.mailbox(source), { consistent: true });
  if (from && from.owner !== owner) return moveAcrossOwners(ctx, caller, input);
  const sorted = [...new Set(input.uids)].sort((a, b) => a - b);
  const out: ResponseOf<'message.move'> = { uidValidity: 0, source: [], destination: [], sourceModseq: 0 };
  // Each side's log entries as written, for the frontend's mailbox cache (own-change.ts).
  const sourceRun = new OwnChangeRun();
  const destinationRun = new OwnChangeRun();
  for (let i = 0; i < sorted.length; i += MOVE_BATCH) {
    const part = sorted.slice(i, i + MOVE_BATCH);
    // The first batch plans on the source META read above (one read fewer); later ones read it again.
    const known = i === 0 && from ? from : undefined;
    const done = await commitMailboxPair(ctx, source, target, caller.session, async (src, dst) => {
      // RFC 6851 §4.2: the rights of UID STORE \Deleted and UID EXPUNGE on the source, of UID COPY on the target.
      requireRights(src, caller, 'rte');
      requireRights(dst, caller, 'i'); // flags move as they are: the source's counters are taken from them
      if (src.owner !== dst.owner) throw new MailStoreError('CANNOT', 'Mailbox owners changed; try again');
      const items = await readHot(ctx, source, part);
      const present = part.filter((u) => items.has(u));
      const none = { uidValidity: dst.uidValidity, source: [] as number[], destination: [] as number[], added: emptyHotList() };
      if (present.length === 0) return { noChange: true, result: none };
      const modseq = dst.modseq + 1;
      const saved = Date.now(); // RFC 8514 §3: a moved message gets a new save date in the destination
      const added: HotList = emptyHotList();
      const actions: TxAction[] = [];
      const emailIds: string[] = [];
      let bytes = 0;
      let unseen = 0;
      let deleted = 0;
      const grown = new Set<string>();
      present.forEach((u, n) => {
        const item = items.get(u)!;
        // Conditioned on the item as read: a concurrent STORE or EXPUNGE makes this batch re-plan.
        actions.push({ type: 'delete', table: 'mail', key: keys.message(source, u as Uid), condition: { op: 'eq', attr: 'm', value: item.m as number } });
        const uid = (dst.uidNext + n) as Uid;
        const moved: KvItem = { ...keys.message(target, uid), e: item.e!, f: item.f!, k: item.k ?? [], m: modseq, z: item.z!, d: item.d!, s: saved };
        actions.push({ type: 'put', table: 'mail', item: moved, condition: { op: 'notExists', attr: 'pk' } });
        appendHot(added, moved);
        emailIds.push(item.e as string);
        bytes += item.z as number;
        const c = countersOf(item.f as number);
        unseen += c.unseen;
        deleted += c.deleted;
        for (const k of (item.k as string[] | undefined) ?? []) if (!dst.keywords.includes(k)) grown.add(k);
      });
      const k = present.length;
      return {
        actions,
        source: { counters: { messages: -k, unseen: -unseen, deleted: -deleted, bytes: -bytes }, log: { op: 'X', u: present, e: emailIds } },
        destination: {
          uidsAllocated: k,
          counters: { messages: k, unseen, deleted, bytes },
          keywords: grown.size > 0 ? [...dst.keywords, ...grown] : undefined,
          log: { op: 'A', u: added.uids, e: added.emailIds, f: added.flags, k: added.keywords, z: added.sizes, d: added.dates, s: added.saveDates ?? [] },
        },
        result: { uidValidity: dst.uidValidity, source: present, destination: added.uids, added },
      };
    }, known);
    out.uidValidity = done.result.uidValidity;
    out.source.push(...done.result.source);
    out.destination.push(...done.result.destination);
    if (done.committed) {
      out.sourceModseq = done.source.modseq;
      const by = caller.session;
      sourceRun.add({ modseq: done.source.modseq, op: 'X', by, uids: done.result.source }, done.source);
      destinationRun.add({ modseq: done.destination.modseq, op: 'A', by, added: done.result.added }, done.destination);
    }
  }
  const sourceChange = sourceRun.change();
  const destinationChange = destinationRun.change();
  if (sourceChange) out.sourceChange = sourceChange;
  if (destinationChange) out.destinationChange = destinationChange;
  if (out.uidValidity === 0) out.uidValidity = (await ctx.kv.get('mail', keys.mailbox(target), { consistent: true }))?.uidValidity as number;
  return out;
}

async function readHot(ctx: StoreContext, mailboxId: MailboxId, uids: number[]): Promise<Map<number, KvItem>> {
  const found = new Map<number, KvItem>();
  const items = await ctx.kv.batchGet('mail', uids.map((u) => keys.message(mailboxId, u as Uid)), { consistent: true });
  for (const item of items) found.set(uidFromSortKey(item.sk), item);
  return found;
}
