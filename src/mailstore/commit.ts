// The mailbox commit protocol (reference/storage-design.md §C3). Every mutation of a mailbox is ONE transaction that
// compare-and-swaps META.modseq m → m+1 and writes exactly one change-log item L#<m+1> beside its message items.
// Hence commit order = MODSEQ order = UID order (I1) and MODSEQ is dense (I2). Nothing else may write META or L#.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Condition, KvItem, KvStore, KvValue, TxAction } from '../storage/kv.js';
import { ConditionFailedError, ThrottledError, TransactionConflictError, UnavailableError } from '../storage/errors.js';
import type { MailboxId, ModSeq, TenantId, UserId } from './ids.js';
import type { OwnChange } from './api.js';
import { keys } from './keys.js';
import { MailStoreError } from './errors.js';
import type { StoreContext } from './context.js';
import { aclOf, aclVersionCondition, type Acl } from './acl.js';
import { entryOf, statusOf } from './log-entry.js';

export interface MailboxMeta {
  mailboxId: MailboxId;
  owner: UserId;
  tenant: TenantId;
  path: string;
  uidValidity: number;
  uidNext: number;
  modseq: ModSeq;
  messages: number;
  unseen: number;
  deleted: number;
  bytes: number;
  keywords: string[];
  specialUse: string | null;
  state: 'active' | 'deleted';
  /** RFC 4314 ACL (src/mailstore/acl.ts) and its version: every commit is conditioned on the version it checked. */
  acl: Acl;
  aclVersion?: number;
}

export function metaFromItem(item: KvItem): MailboxMeta {
  return {
    mailboxId: item.pk.slice(2) as MailboxId,
    owner: item.owner as UserId,
    tenant: item.tenant as TenantId,
    path: item.path as string,
    uidValidity: item.uidValidity as number,
    uidNext: item.uidNext as number,
    modseq: item.modseq as ModSeq,
    messages: item.messages as number,
    unseen: item.unseen as number,
    deleted: item.deleted as number,
    bytes: item.bytes as number,
    keywords: (item.keywords as string[] | undefined) ?? [],
    specialUse: (item.specialUse as string | null | undefined) ?? null,
    state: item.state as 'active' | 'deleted',
    acl: aclOf(item),
    ...(typeof item.aclVersion === 'number' ? { aclVersion: item.aclVersion } : {}),
  };
}

export interface CounterDelta {
  messages?: number;
  unseen?: number;
  deleted?: number;
  bytes?: number;
}

export interface UsageDelta {
  bytes: number;
  messages: number;
  mailboxes?: number;
  /** The owner's limits, when set: the transaction fails with OVERQUOTA rather than exceed them. */
  limits?: { bytes?: number; messages?: number };
}

export interface CommitPlan<R> {
  /** Message items and anything else that must commit together; never META, L# or the owner's usage. */
  actions: TxAction[];
  /** UIDs allocated by this commit: uidNext advances by this much (R4). */
  uidsAllocated?: number;
  counters?: CounterDelta;
  /** The mailbox's keyword set, when this commit grows it (R23). */
  keywords?: string[];
  /** Other META attributes to set (e.g. path on RENAME, state on DELETE). */
  setMeta?: { [name: string]: KvValue };
  /** The change-log payload; `op` is A(ppend) F(lags) X(expunge) N(ew) R(ename) D(elete). */
  log: { op: 'A' | 'F' | 'X' | 'N' | 'R' | 'D'; [name: string]: KvValue };
  /** Change of the owner's usage, updated in the same transaction. */
  usage?: UsageDelta;
  result: R;
}

/** The plan found nothing to change: no transaction, no MODSEQ. */
export interface NoChange<R> {
  noChange: true;
  result: R;
}

export type Planner<R> = (meta: MailboxMeta, attempt: number) => Promise<CommitPlan<R> | NoChange<R>>;

export interface Committed<R> {
  modseq: ModSeq;
  meta: MailboxMeta;
  result: R;
  committed: boolean;
}

// Writers of one mailbox serialise on META; under a storm each loser retries on the winner's META (no extra read).
// 40 jittered attempts ride out dozens of concurrent writers before UNAVAILABLE.
const MAX_ATTEMPTS = 40;

/**
 * Runs `plan` against the current META and commits it with the META compare-and-swap. On a lost race the plan is
 * run again with fresh META (the planner must re-read whatever it conditioned on), with jittered backoff.
 * Given the StoreContext (not just its kv), a successful commit also publishes its hint (`ctx.publishHint`).
 */
export async function commitMailbox<R>(
  store: KvStore | StoreContext,
  mailboxId: MailboxId,
  by: string,
  plan: Planner<R>,
  /** META as the caller just read it strongly (e.g. batched with other reads): the first attempt plans on it. */
  known?: KvItem,
): Promise<Committed<R>> {
  const kv = 'tokenKey' in store ? store.kv : store;
  let uidNextBefore = 0; // META.uidNext of the attempt that committed (the planner sees it last)
  const { done: committed, logItem } = await commitOnce(kv, mailboxId, by, (meta, attempt) => {
    uidNextBefore = meta.uidNext;
    return plan(meta, attempt);
  }, known);
  if (committed.committed && logItem && 'tokenKey' in store && store.publishHint) {
    try {
      store.publishHint(hintOf(logItem, committed.meta));
    } catch {
      // A hint is only "look now": other frontends still see the change through their safety poll.
    }
  }
  if (committed.committed && 'tokenKey' in store && store.uidsAllocated && committed.meta.uidNext > uidNextBefore) {
    try {
      store.uidsAllocated(mailboxId, uidNextBefore, committed.meta.uidNext);
    } catch {
      // Sealing search segments is an optimisation: a missed trigger only leaves more messages to the next seal.
    }
  }
  return committed;
}

/**
 * A commit's hint with its change (hints may carry it, DESIGN.md "Notifications between frontends"): the log item
 * exactly as written, turned into the entry `mailbox.changes` reads back (log-entry.ts, the one code path both use),
 * and META after it. Attached whatever its size: it is a reference here, and each transport that turns hints into
 * bytes (Redis, IPC, function threads) sends it only when small (src/notify/hint-change.ts).
 */
function hintOf(logItem: KvItem, meta: MailboxMeta): { mailboxId: string; modseq: number; change: OwnChange } {
  return { mailboxId: meta.mailboxId, modseq: meta.modseq, change: { entries: [entryOf(logItem)], status: statusOf(meta) } };
}

/** A commit attempt's outcome, and the log item it wrote when it committed (for its hint). */
interface Outcome<R> {
  done: Committed<R>;
  logItem?: KvItem;
}

async function commitOnce<R>(kv: KvStore, mailboxId: MailboxId, by: string, plan: Planner<R>, known?: KvItem): Promise<Outcome<R>> {
  // A stale `known` costs nothing but a lost CAS: the transaction's condition on modseq decides, as for any read.
  let metaItem: KvItem | undefined = known ?? (await kv.get('mail', keys.mailbox(mailboxId), { consistent: true }));
  /** Earlier attempts whose reply was lost and whose log item could not be read either: they may have committed. */
  let unsure: { modseq: ModSeq; tok: string; done: Committed<R>; logItem: KvItem }[] = [];
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (!metaItem || metaItem.state !== 'active') throw new MailStoreError('NONEXISTENT', 'Mailbox does not exist');
    const meta = metaFromItem(metaItem);
    // Before planning again (an APPEND would store its message twice): did one of them commit after all? Only one
    // can have, and only if META moved past the MODSEQ it took.
    const still: typeof unsure = [];
    for (const earlier of unsure) {
      const outcome = meta.modseq >= earlier.modseq ? await landed(kv, mailboxId, earlier.modseq, earlier.tok) : 'unknown';
      if (outcome === 'yes') return { done: earlier.done, logItem: earlier.logItem };
      if (outcome === 'unknown') still.push(earlier);
    }
    unsure = still;
    const planned = await plan(meta, attempt);
    if ('noChange' in planned) return { done: { modseq: meta.modseq, meta, result: planned.result, committed: false } };

    const next = (meta.modseq + 1) as ModSeq;
    const add: { [name: string]: number } = {};
    if (planned.uidsAllocated) add.uidNext = planned.uidsAllocated;
    for (const [name, delta] of Object.entries(planned.counters ?? {})) if (delta) add[name] = delta;
    const metaAction: TxAction = {
      type: 'update',
      table: 'mail',
      key: keys.mailbox(mailboxId),
      update: { set: { modseq: next, ...(planned.keywords ? { keywords: planned.keywords } : {}), ...planned.setMeta }, add },
      condition: {
        op: 'and',
        conditions: [
          { op: 'eq', attr: 'modseq', value: meta.modseq },
          { op: 'eq', attr: 'state', value: 'active' },
          aclVersionCondition(meta.aclVersion), // a right revoked meanwhile stops this write (RFC 4314, issue 4)
        ],
      },
    };
    // `tok` names this attempt, so a commit whose reply was lost is recognised instead of applied twice.
    const tok = randomUUID();
    const logAction: TxAction = {
      type: 'put',
      table: 'mail',
      item: { ...keys.log(mailboxId, next), by, at: Date.now(), tok, ...planned.log },
      condition: { op: 'notExists', attr: 'pk' },
    };
    const actions: TxAction[] = [metaAction, ...planned.actions, logAction];
    if (planned.usage && (planned.usage.bytes !== 0 || planned.usage.messages !== 0 || planned.usage.mailboxes)) {
      actions.push(usageAction(meta.owner, planned.usage));
    }

    const after: MailboxMeta = {
      ...meta,
      modseq: next,
      uidNext: meta.uidNext + (planned.uidsAllocated ?? 0),
      messages: meta.messages + (planned.counters?.messages ?? 0),
      unseen: meta.unseen + (planned.counters?.unseen ?? 0),
      deleted: meta.deleted + (planned.counters?.deleted ?? 0),
      bytes: meta.bytes + (planned.counters?.bytes ?? 0),
      keywords: planned.keywords ?? meta.keywords,
    };
    const done: Committed<R> = { modseq: next, meta: after, result: planned.result, committed: true };

    try {
      try {
        await kv.transactWrite(actions, { token: tok });
      } catch (err) {
        if (!(err instanceof UnavailableError)) throw err;
        const outcome = await landed(kv, mailboxId, next, tok);
        if (outcome === 'unknown') unsure.push({ modseq: next, tok, done, logItem: logAction.item });
        if (outcome !== 'yes') throw err;
      }
    } catch (err) {
      if (err instanceof ConditionFailedError) {
        if (err.actionIndex === 0) {
          metaItem = err.current; // another writer won the CAS: retry on its META, no extra read
        } else if (err.actionIndex === actions.length - 1 && planned.usage) {
          throw new MailStoreError('OVERQUOTA', 'Quota exceeded');
        } else {
          metaItem = await kv.get('mail', keys.mailbox(mailboxId), { consistent: true });
        }
        await backoff(attempt);
        continue;
      }
      if (err instanceof TransactionConflictError || err instanceof ThrottledError || err instanceof UnavailableError) {
        await backoff(attempt);
        metaItem = await kv.get('mail', keys.mailbox(mailboxId), { consistent: true });
        continue;
      }
      throw err;
    }
    return { done, logItem: logAction.item };
  }
  throw new MailStoreError('UNAVAILABLE', 'Mailbox is too busy; try again');
}

/**
 * The owner's usage moves in the same transaction. A growing usage is conditioned on the limits the planner read
 * (`usage <= limit - delta`, §C4), so quota stays hard under concurrent writers.
 */
function usageAction(owner: UserId, usage: UsageDelta): TxAction {
  const conditions: Condition[] = [{ op: 'exists', attr: 'pk' }];
  if (usage.bytes > 0 && usage.limits?.bytes !== undefined) {
    conditions.push({ op: 'le', attr: 'usageBytes', value: usage.limits.bytes - usage.bytes });
  }
  if (usage.messages > 0 && usage.limits?.messages !== undefined) {
    conditions.push({ op: 'le', attr: 'usageMessages', value: usage.limits.messages - usage.messages });
  }
  return {
    type: 'update',
    table: 'mail',
    key: keys.user(owner),
    update: { add: { usageBytes: usage.bytes, usageMessages: usage.messages, mailboxes: usage.mailboxes ?? 0 } },
    condition: conditions.length === 1 ? conditions[0] : { op: 'and', conditions },
  };
}

/** After a timeout: did our transaction commit anyway? Its change-log item carries our token if it did. */
async function landed(kv: KvStore, mailboxId: MailboxId, modseq: ModSeq, tok: string): Promise<'yes' | 'no' | 'unknown'> {
  try {
    const item = await kv.get('mail', keys.log(mailboxId, modseq), { consistent: true });
    return item?.tok === tok ? 'yes' : 'no';
  } catch {
    return 'unknown'; // still unreachable: decided on a later attempt, once the store answers again
  }
}

async function backoff(attempt: number): Promise<void> {
  const cap = Math.min(250, 5 * 2 ** Math.min(attempt, 6));
  await sleep(Math.random() * cap);
}

/** One mailbox's side of a two-mailbox commit (MOVE): its META changes and its one change-log item. */
export interface PairSide {
  uidsAllocated?: number;
  counters?: CounterDelta;
  keywords?: string[];
  log: CommitPlan<unknown>['log'];
}

export interface PairPlan<R> {
  /** Message items of both mailboxes; never META or L#. */
  actions: TxAction[];
  source: PairSide;
  destination: PairSide;
  result: R;
}

export type PairPlanner<R> = (source: MailboxMeta, destination: MailboxMeta, attempt: number) => Promise<PairPlan<R> | NoChange<R>>;

export interface PairCommitted<R> {
  source: MailboxMeta;
  destination: MailboxMeta;
  result: R;
  committed: boolean;
}

/**
 * The commit protocol for two mailboxes of one owner (MOVE, storage-design §C4): ONE transaction compare-and-swaps
 * both METAs (each m → m+1) and writes one change-log item in each, beside the message items. Usage does not move
 * (same owner). A lost race on either META re-plans on fresh METAs, as commitMailbox does.
 * A transaction whose reply was lost (a timeout the retry layer could not ride out) is recognised by its token in
 * both change-log items, so it is reported as done rather than re-planned into "nothing to move".
 */
export async function commitMailboxPair<R>(
  ctx: StoreContext,
  sourceId: MailboxId,
  destinationId: MailboxId,
  by: string,
  plan: PairPlanner<R>,
  /** The source's META as the caller just read it strongly: the first attempt plans on it (a stale one loses the CAS). */
  knownSource?: KvItem,
): Promise<PairCommitted<R>> {
  if (sourceId === destinationId) throw new Error('commitMailboxPair needs two different mailboxes');
  const kv = ctx.kv;
  const finish = (attempt: PairAttempt<R>): PairCommitted<R> => {
    const { done, logItems } = attempt;
    const sides: [MailboxMeta, KvItem][] = [
      [done.source, logItems[0]],
      [done.destination, logItems[1]],
    ];
    for (const [meta, logItem] of sides) {
      try {
        ctx.publishHint?.(hintOf(logItem, meta));
      } catch {
        // only "look now": the safety poll still finds the change
      }
    }
    // MOVE allocates the destination's UIDs here: the seal trigger of commitMailbox, so a big MOVE does not leave a
    // long unsealed tail for the next text SEARCH to derive (search-text.ts).
    if (done.destination.uidNext > attempt.destinationUidNextBefore) {
      try {
        ctx.uidsAllocated?.(destinationId, attempt.destinationUidNextBefore, done.destination.uidNext);
      } catch {
        // an optimisation: a missed trigger only leaves more messages to the next seal
      }
    }
    return done;
  };
  /** Earlier attempts whose reply was lost and whose log could not be read either: they may have committed. */
  let unsure: PairAttempt<R>[] = [];
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const [srcItem, dstItem] = await Promise.all([
      attempt === 0 && knownSource !== undefined ? knownSource : kv.get('mail', keys.mailbox(sourceId), { consistent: true }),
      kv.get('mail', keys.mailbox(destinationId), { consistent: true }),
    ]);
    if (!srcItem || srcItem.state !== 'active' || !dstItem || dstItem.state !== 'active') {
      throw new MailStoreError('NONEXISTENT', 'Mailbox does not exist');
    }
    const src = metaFromItem(srcItem);
    const dst = metaFromItem(dstItem);
    // Before planning again: did one of them commit after all? Only one can have (each CAS'd the META it read).
    const still: PairAttempt<R>[] = [];
    for (const earlier of unsure) {
      const outcome = src.modseq >= earlier.sourceModseq ? await pairLanded(kv, earlier) : 'unknown';
      if (outcome === 'yes') return finish(earlier);
      if (outcome === 'unknown') still.push(earlier);
    }
    unsure = still;
    const planned = await plan(src, dst, attempt);
    if ('noChange' in planned) return { source: src, destination: dst, result: planned.result, committed: false };
    const sides: [MailboxId, MailboxMeta, PairSide][] = [
      [sourceId, src, planned.source],
      [destinationId, dst, planned.destination],
    ];
    const metaActions: TxAction[] = sides.map(([id, meta, side]) => {
      const add: { [name: string]: number } = {};
      if (side.uidsAllocated) add.uidNext = side.uidsAllocated;
      for (const [name, delta] of Object.entries(side.counters ?? {})) if (delta) add[name] = delta;
      return {
        type: 'update',
        table: 'mail',
        key: keys.mailbox(id),
        update: { set: { modseq: (meta.modseq + 1) as ModSeq, ...(side.keywords ? { keywords: side.keywords } : {}) }, add },
        condition: {
          op: 'and',
          conditions: [
            { op: 'eq', attr: 'modseq', value: meta.modseq },
            { op: 'eq', attr: 'state', value: 'active' },
            aclVersionCondition(meta.aclVersion),
          ],
        },
      };
    });
    // `tok` names this attempt in both log items (and is the transaction's idempotency token), as in commitMailbox.
    const tok = randomUUID();
    const logItems = sides.map(([id, meta, side]): KvItem => ({ ...keys.log(id, (meta.modseq + 1) as ModSeq), by, at: Date.now(), tok, ...side.log }));
    const logActions: TxAction[] = logItems.map((item) => ({ type: 'put', table: 'mail', item, condition: { op: 'notExists', attr: 'pk' } }));
    const after = (meta: MailboxMeta, side: PairSide): MailboxMeta => ({
      ...meta,
      modseq: (meta.modseq + 1) as ModSeq,
      uidNext: meta.uidNext + (side.uidsAllocated ?? 0),
      messages: meta.messages + (side.counters?.messages ?? 0),
      unseen: meta.unseen + (side.counters?.unseen ?? 0),
      deleted: meta.deleted + (side.counters?.deleted ?? 0),
      bytes: meta.bytes + (side.counters?.bytes ?? 0),
      keywords: side.keywords ?? meta.keywords,
    });
    const current: PairAttempt<R> = {
      tok,
      sourceId,
      destinationId,
      sourceModseq: (src.modseq + 1) as ModSeq,
      destinationModseq: (dst.modseq + 1) as ModSeq,
      destinationUidNextBefore: dst.uidNext,
      logItems: [logItems[0]!, logItems[1]!],
      done: { source: after(src, planned.source), destination: after(dst, planned.destination), result: planned.result, committed: true },
    };
    try {
      try {
        await kv.transactWrite([...metaActions, ...planned.actions, ...logActions], { token: tok });
      } catch (err) {
        if (!(err instanceof UnavailableError)) throw err;
        const outcome = await pairLanded(kv, current);
        if (outcome === 'unknown') unsure.push(current);
        if (outcome !== 'yes') throw err;
      }
    } catch (err) {
      if (
        err instanceof ConditionFailedError ||
        err instanceof TransactionConflictError ||
        err instanceof ThrottledError ||
        err instanceof UnavailableError
      ) {
        await backoff(attempt);
        continue;
      }
      throw err;
    }
    return finish(current);
  }
  throw new MailStoreError('UNAVAILABLE', 'Mailbox is too busy; try again');
}

/** One attempt of a pair commit, with what it reports if it committed. */
interface PairAttempt<R> {
  tok: string;
  sourceId: MailboxId;
  destinationId: MailboxId;
  sourceModseq: ModSeq;
  destinationModseq: ModSeq;
  /** The destination's UIDNEXT before it (its UIDs allocated: from here to done.destination.uidNext). */
  destinationUidNextBefore: number;
  /** The two change-log items it writes (source, destination): their entries go with the hints. */
  logItems: [KvItem, KvItem];
  done: PairCommitted<R>;
}

/** After a timeout: do both change-log items of the attempt carry its token? One strong batch read of the two. */
async function pairLanded(kv: KvStore, attempt: PairAttempt<unknown>): Promise<'yes' | 'no' | 'unknown'> {
  try {
    const items = await kv.batchGet(
      'mail',
      [keys.log(attempt.sourceId, attempt.sourceModseq), keys.log(attempt.destinationId, attempt.destinationModseq)],
      { consistent: true },
    );
    // One transaction wrote both or neither: both carrying the token is the only "yes".
    return items.length === 2 && items.every((item) => item.tok === attempt.tok) ? 'yes' : 'no';
  } catch {
    return 'unknown'; // still unreachable: decided on a later attempt, once the store answers again
  }
}
