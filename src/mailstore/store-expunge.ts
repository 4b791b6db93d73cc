// STORE and EXPUNGE (storage-design §C4): one commit per batch of messages, each message's action conditioned on the
// state it was planned from, so a concurrent change makes the commit re-plan (commit.ts) instead of overwriting it.
//
// The state a batch is planned from is either read (one strongly consistent batchGet of the hot items) or, on the
// first attempt, what the frontend holds for each message (`known`: its flags, keywords and MODSEQ, and for EXPUNGE
// its size and emailId). Nothing the frontend says is trusted: every attribute the plan uses for counters, usage,
// the change log or a right is a condition of the message's action in the transaction (`m`, `f`, and `z`, `e` for
// a delete), so a stale or wrong claim fails the transaction and the batch is planned again from a read. Plans that
// would not write a message (unchanged flags, UNCHANGEDSINCE, not \Deleted) are never taken from `known`: a message
// left out of the transaction is not checked by it, so those are decided on what the store holds.
import type { KvItem, TxAction, Condition } from '../storage/kv.js';
import type { ResponseOf } from './api.js';
import { commitMailbox } from './commit.js';
import type { Caller, StoreContext } from './context.js';
import type { MailboxId, Uid } from './ids.js';
import { keys, uidFromSortKey } from './keys.js';
import { countersOf } from './mailboxes.js';
import { FLAG_DELETED, parseFlags } from './flags.js';
import { maskFlags, requireRights } from './acl.js';
import { OwnChangeRun } from './own-change.js';

/** Messages per transaction: leaves room for META, the log item and the usage update within 100 actions (§C3). */
const BATCH = 95;

/** What the frontend holds for the messages of a request, in the order of its `uids`. */
export interface KnownFlags {
  flags: number[];
  keywords: string[][];
  modseqs: number[];
}

export interface KnownExpunge {
  flags: number[];
  modseqs: number[];
  sizes: number[];
  emailIds: string[];
}

/** One message's hot state as a plan needs it. */
interface HotState {
  f: number;
  k: string[];
  m: number;
  z: number;
  e: string;
}

const chunks = <T>(list: T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
};

/** The hot items of `uids` (strongly consistent), by UID; an expunged message is absent. */
export async function readHot(ctx: StoreContext, mailboxId: MailboxId, uids: number[]): Promise<Map<number, KvItem>> {
  const found = new Map<number, KvItem>();
  for (const part of chunks(uids, 100)) {
    const items = await ctx.kv.batchGet('mail', part.map((u) => keys.message(mailboxId, u as Uid)), { consistent: true });
    for (const item of items) found.set(uidFromSortKey(item.sk), item);
  }
  return found;
}

function stateOf(item: KvItem): HotState {
  return { f: item.f as number, k: (item.k as string[] | undefined) ?? [], m: item.m as number, z: item.z as number, e: item.e as string };
}

async function readStates(ctx: StoreContext, mailboxId: MailboxId, uids: number[]): Promise<Map<number, HotState>> {
  const states = new Map<number, HotState>();
  for (const [uid, item] of await readHot(ctx, mailboxId, uids)) states.set(uid, stateOf(item));
  return states;
}

/** The request's UIDs, each once, ascending (the order of the commits and of the answer). */
const uniqueSorted = (uids: number[]): number[] => [...new Set(uids)].sort((a, b) => a - b);

/** What the frontend said of each UID, when it said it of all of them (parallel lists of the request's length). */
function knownStates(uids: number[], lists: unknown[][] | undefined, state: (i: number) => HotState): Map<number, HotState> | undefined {
  if (!lists || !lists.every((list) => list.length === uids.length)) return undefined;
  const states = new Map<number, HotState>();
  uids.forEach((uid, i) => states.set(uid, state(i)));
  return states;
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The message's action happens only on the state it was planned from (§C4: `f = :oldF`; `m` for UNCHANGEDSINCE). */
function planned(state: HotState, more: Condition[] = []): Condition {
  return {
    op: 'and',
    conditions: [{ op: 'eq', attr: 'm', value: state.m }, { op: 'eq', attr: 'f', value: state.f }, ...more],
  };
}

/**
 * STORE: each changed message gets the new flags and the commit's MODSEQ, conditioned on its old MODSEQ and flags so
 * a concurrent change makes us re-plan; unchanged messages are left out (no MODSEQ bump, RFC 7162 allows it).
 */
export async function storeFlags(
  ctx: StoreContext,
  caller: Caller,
  input: {
    mailboxId: string;
    uids: number[];
    mode: 'add' | 'remove' | 'replace';
    flags: string[];
    unchangedSince?: number;
    known?: KnownFlags;
  },
): Promise<ResponseOf<'message.store'>> {
  const mailboxId = input.mailboxId as MailboxId;
  const { bits, keywords } = parseFlags(input.flags);
  const k = input.known;
  const known = knownStates(input.uids, k && [k.flags, k.keywords, k.modseqs], (i) => ({ f: k!.flags[i]!, k: k!.keywords[i]!, m: k!.modseqs[i]!, z: 0, e: '' }));
  const out: ResponseOf<'message.store'> = { modseq: 0, changed: [], modified: [] };
  const run = new OwnChangeRun();
  for (const part of chunks(uniqueSorted(input.uids), BATCH)) {
    const done = await commitMailbox(ctx, mailboxId, caller.session, async (meta, attempt) => {
      const rights = requireRights(meta, caller, 'r');
      const modseq = meta.modseq + 1;
      const plan = (current: Map<number, HotState>, strict: boolean) => {
        const actions: TxAction[] = [];
        const changed: ResponseOf<'message.store'>['changed'] = [];
        const modified: number[] = [];
        let unseen = 0;
        let deleted = 0;
        const log = { u: [] as number[], f: [] as number[], k: [] as string[][] };
        for (const uid of part) {
          const item = current.get(uid);
          if (!item) {
            if (strict) return undefined;
            continue; // expunged meanwhile: nothing to store (RFC 2180 §4.2 is the frontend's to answer)
          }
          if (input.unchangedSince !== undefined && item.m > input.unchangedSince) {
            if (strict) return undefined;
            modified.push(uid);
            continue;
          }
          const oldBits = item.f;
          const oldKeywords = item.k;
          let newBits: number;
          let newKeywords: string[];
          if (input.mode === 'replace') {
            newBits = bits;
            newKeywords = keywords;
          } else if (input.mode === 'add') {
            newBits = oldBits | bits;
            newKeywords = [...oldKeywords, ...keywords.filter((k) => !oldKeywords.includes(k))];
          } else {
            newBits = oldBits & ~bits;
            newKeywords = oldKeywords.filter((k) => !keywords.includes(k));
          }
          // RFC 4314 §4 STORE: \Seen needs s, \Deleted t, others w; what may not change stays (the STORE does not fail).
          ({ bits: newBits, keywords: newKeywords } = maskFlags(rights, { bits: oldBits, keywords: oldKeywords }, { bits: newBits, keywords: newKeywords }));
          if (newBits === oldBits && sameList(newKeywords, oldKeywords)) {
            if (strict) return undefined;
            continue;
          }
          const before = countersOf(oldBits);
          const after = countersOf(newBits);
          unseen += after.unseen - before.unseen;
          deleted += after.deleted - before.deleted;
          actions.push({
            type: 'update',
            table: 'mail',
            key: keys.message(mailboxId, uid as Uid),
            update: { set: { f: newBits, k: newKeywords, m: modseq } },
            condition: planned(item),
          });
          changed.push({ uid, flags: newBits, keywords: newKeywords, modseq });
          log.u.push(uid);
          log.f.push(newBits);
          log.k.push(newKeywords);
        }
        return { actions, changed, modified, unseen, deleted, log };
      };
      // The frontend's keywords are not a condition (the KV compares scalars only): trusted only from a caller who
      // may set any keyword anyway (RFC 4314 "w"); others' plans start from a read.
      const fromKnown = attempt === 0 && known && rights.includes('w') ? plan(known, true) : undefined;
      const p = fromKnown ?? plan(await readStates(ctx, mailboxId, part), false)!;
      if (p.actions.length === 0) return { noChange: true, result: { changed: p.changed, modified: p.modified } };
      const grown = keywords.filter((k) => !meta.keywords.includes(k));
      return {
        actions: p.actions,
        counters: { unseen: p.unseen, deleted: p.deleted },
        keywords: input.mode !== 'remove' && grown.length > 0 ? [...meta.keywords, ...grown] : undefined,
        log: { op: 'F', ...p.log },
        result: { changed: p.changed, modified: p.modified },
      };
    });
    // Only a commit of ours names a MODSEQ: the session takes `modseq = its own + 1` as "nothing else happened"
    // (freshness.ts afterOwnWrite), which META's MODSEQ after a STORE that changed nothing does not mean.
    if (done.committed) {
      out.modseq = done.modseq;
      const changed = done.result.changed;
      // The commit's log entry as the store wrote it (log.u/f/k are the changed messages in this order).
      const entry = { modseq: done.modseq, op: 'F' as const, by: caller.session, uids: [] as number[], flags: [] as number[], keywords: [] as string[][] };
      for (const c of changed) {
        entry.uids.push(c.uid);
        entry.flags.push(c.flags);
        entry.keywords.push(c.keywords);
      }
      run.add(entry, done.meta);
    }
    out.changed.push(...done.result.changed);
    out.modified.push(...done.result.modified);
  }
  const change = run.change();
  return change ? { ...out, change } : out;
}

/** EXPUNGE / UID EXPUNGE: removes the given messages that still carry \Deleted (a concurrent undelete wins, R19). */
export async function expungeMessages(
  ctx: StoreContext,
  caller: Caller,
  input: { mailboxId: string; uids: number[]; known?: KnownExpunge },
): Promise<ResponseOf<'message.expunge'>> {
  const mailboxId = input.mailboxId as MailboxId;
  const k = input.known;
  const known = knownStates(input.uids, k && [k.flags, k.modseqs, k.sizes, k.emailIds], (i) => ({
    f: k!.flags[i]!,
    k: [],
    m: k!.modseqs[i]!,
    z: k!.sizes[i]!,
    e: k!.emailIds[i]!,
  }));
  const out: ResponseOf<'message.expunge'> = { modseq: 0, expunged: [] };
  const run = new OwnChangeRun();
  for (const part of chunks(uniqueSorted(input.uids), BATCH)) {
    const done = await commitMailbox(ctx, mailboxId, caller.session, async (meta, attempt) => {
      requireRights(meta, caller, 'e'); // RFC 4314 §4 EXPUNGE
      const plan = (current: Map<number, HotState>, strict: boolean) => {
        const actions: TxAction[] = [];
        const gone: number[] = [];
        const emailIds: string[] = [];
        let bytes = 0;
        let unseen = 0;
        for (const uid of part) {
          const item = current.get(uid);
          if (!item || !(item.f & FLAG_DELETED)) {
            if (strict) return undefined;
            continue;
          }
          // Size and emailId move the counters, the owner's usage and the GC's log entry: conditions too.
          const condition = planned(item, [
            { op: 'eq', attr: 'z', value: item.z },
            { op: 'eq', attr: 'e', value: item.e },
          ]);
          actions.push({ type: 'delete', table: 'mail', key: keys.message(mailboxId, uid as Uid), condition });
          gone.push(uid);
          emailIds.push(item.e);
          bytes += item.z;
          unseen += countersOf(item.f).unseen;
        }
        return { actions, gone, emailIds, bytes, unseen };
      };
      const fromKnown = attempt === 0 && known ? plan(known, true) : undefined;
      const p = fromKnown ?? plan(await readStates(ctx, mailboxId, part), false)!;
      const { actions, gone, emailIds, bytes, unseen } = p;
      if (actions.length === 0) return { noChange: true, result: gone };
      return {
        actions,
        counters: { messages: -gone.length, unseen: -unseen, deleted: -gone.length, bytes: -bytes },
        log: { op: 'X', u: gone, e: emailIds },
        usage: { bytes: -bytes, messages: -gone.length },
        result: gone,
      };
    });
    if (done.committed) {
      out.modseq = done.modseq;
      run.add({ modseq: done.modseq, op: 'X', by: caller.session, uids: done.result }, done.meta);
    }
    out.expunged.push(...done.result);
  }
  const change = run.change();
  return change ? { ...out, change } : out;
}
