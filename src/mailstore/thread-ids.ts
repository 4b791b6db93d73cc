// RFC 8474 §5.2 THREADID across In-Reply-To-only chains. A thread key derived from one message's own header fields
// (src/mime/thread.ts: the first References id, else In-Reply-To, else Message-ID) splits a chain whose replies
// carry only In-Reply-To: A ← B (In-Reply-To A) ← C (In-Reply-To B) would give C the thread of B, not of A.
// So the mail store remembers, per user, which thread each Message-ID it stored went to:
//
//   U#<user> / MID#<hash of msg-id>  →  { t: <thread key> }
//
// written in the same transaction as the message that carries that Message-ID (the APPEND / delivery commit; no
// extra transaction) when its thread is not the one its own id names — a thread's first message needs no item, a
// reply to it derives the key from its header fields — and read with ONE strongly consistent batchGet for all the
// ids an APPEND or delivery refers to (none at all when no message refers to another) before its cold item is
// written. A message then takes the thread of the first id found, in this order: its own
// Message-ID (a message stored again keeps its thread), the References ids oldest first (§5.2 "References first"),
// then In-Reply-To. Nothing found: the header-derived key, exactly as before, so messages stored before this lookup
// existed keep their THREADIDs. The resolved key is part of the immutable cold item (MessageIndex.thread), so it
// never changes once reported (§5.2 "MUST NOT change") and every copy shares it.
//
// Life cycle: a lookup item is never removed when the message's last copy is expunged. It is a dangling pointer by
// design and harmless: a later reply to that Message-ID still joins the thread, which is what a user expects, and the
// item is ~100 bytes. Deleting the user removes it with the rest of the U#<user> partition; fsck and GC ignore it
// (it names no blob and no mailbox). Lookups are per owner: a message COPYed into another user's mailbox keeps its
// thread (the cold item travels) but does not seed the other user's lookup.
//
// Limits: at most KV_LIMITS.maxBatchGetKeys ids are looked up per APPEND (own id, References root and the last few
// References, In-Reply-To — about 6 per message), and the lookup items ride in the commit only as far as the 100
// actions of a transaction allow (a 95-message MULTIAPPEND seeds only the first two). A skipped id costs only the
// In-Reply-To-chain repair for a later reply; the header-derived key still applies.
import { hash } from 'node:crypto';
import type { KvItem, KvKey, TxAction } from '../storage/kv.js';
import { KV_LIMITS } from '../storage/kv.js';
import { msgIds, rootKey, threadKey } from '../mime/index.js';
import type { HeaderCache } from '../mime/types.js';
import type { StoreContext } from './context.js';
import type { UserId } from './ids.js';
import { keys } from './keys.js';

/** References ids looked up besides the root: the nearest ancestors (the end of the list). */
const NEAREST_REFERENCES = 3;

type Links = Pick<HeaderCache, 'messageId' | 'inReplyTo' | 'references'>;

interface Candidates {
  own: string | null;
  /** The ids to try, best first (own id, References oldest first, In-Reply-To); empty when it refers to none. */
  ordered: string[];
}

function candidates(hdr: Links): Candidates {
  const own = msgIds(hdr.messageId)[0] ?? null;
  const refs = msgIds(hdr.references);
  const chosen = refs.length <= NEAREST_REFERENCES + 1 ? refs : [refs[0]!, ...refs.slice(-NEAREST_REFERENCES)];
  const parents = [...chosen, ...msgIds(hdr.inReplyTo)];
  // A message that refers to no other starts a thread: nothing to look up, its key is its own Message-ID's.
  return { own, ordered: parents.length === 0 ? [] : [...new Set([...(own ? [own] : []), ...parents])] };
}

const idHash = (msgId: string): string => hash('sha256', msgId, 'hex').slice(0, 32); // of the UTF-8, as createHash was

const lookupKey = (owner: UserId, msgId: string): KvKey => keys.messageThread(owner, idHash(msgId));

/** The outcome for a batch of messages being stored for one owner, in the order given. */
export interface ResolvedThreads {
  /** Per message: its thread key, or null when it names no msg-id (a thread of its own, keyed by its emailId). */
  readonly threads: (string | null)[];
  /** The lookup items to commit with the messages, at most `room` of them. */
  lookupActions(room: number): TxAction[];
}

/**
 * Resolves the thread of each message (header fields as indexed) of one APPEND or delivery. One batchGet at most;
 * none when no message refers to another (a new thread: its key is its own Message-ID's, found without a read).
 */
export async function resolveThreads(ctx: StoreContext, owner: UserId, headers: readonly Links[]): Promise<ResolvedThreads> {
  const lookup = threadLookup(owner, headers);
  const items = lookup.keys.length > 0 ? await ctx.kv.batchGet('mail', lookup.keys, { consistent: true }) : [];
  return lookup.resolve(items);
}

/** The lookup items a batch of messages needs, read by the caller (possibly in one batchGet with other items). */
export interface ThreadLookup {
  /** The MID# items to read strongly consistent ('mail' table); empty when no message refers to another. */
  readonly keys: KvKey[];
  /** The outcome, given what the read found (other items in `items` are ignored). */
  resolve(items: readonly KvItem[]): ResolvedThreads;
}

/**
 * resolveThreads in two halves, so an APPEND can read the lookup items in the same batchGet as the mailbox, the
 * owner's quota and the name it needs anyway (messages.ts): one KV call for all of them. At most `maxKeys` ids.
 */
export function threadLookup(owner: UserId, headers: readonly Links[], maxKeys: number = KV_LIMITS.maxBatchGetKeys): ThreadLookup {
  const perMessage = headers.map(candidates);
  const wanted: string[] = [];
  const seen = new Set<string>();
  for (const c of perMessage) {
    for (const id of c.ordered) {
      if (seen.has(id) || wanted.length >= maxKeys) continue;
      seen.add(id);
      wanted.push(id);
    }
  }
  const byHash = new Map(wanted.map((id) => [idHash(id), id]));
  const prefix = keys.messageThread(owner, '');
  return {
    keys: wanted.map((id) => lookupKey(owner, id)),
    resolve: (items) => {
      const known = new Map<string, string>(); // msg-id → thread key
      for (const item of items) {
        if (item.pk !== prefix.pk || !item.sk.startsWith(prefix.sk)) continue;
        const id = byHash.get(item.sk.slice(prefix.sk.length));
        if (id !== undefined && typeof item.t === 'string') known.set(id, item.t);
      }
      return resolved(owner, headers, perMessage, known);
    },
  };
}

function resolved(owner: UserId, headers: readonly Links[], perMessage: readonly Candidates[], known: Map<string, string>): ResolvedThreads {
  const threads: (string | null)[] = [];
  const seeds = new Map<string, string>(); // own msg-id → thread key, first message of the batch wins
  for (const [i, c] of perMessage.entries()) {
    // An earlier message of the same batch counts as stored (a MULTIAPPEND of a whole conversation).
    const found = c.ordered.map((id) => seeds.get(id) ?? known.get(id)).find((t) => t !== undefined);
    const thread = found ?? threadKey(headers[i]!);
    threads.push(thread);
    if (c.own && thread !== null && !seeds.has(c.own)) seeds.set(c.own, thread);
  }
  return {
    threads,
    lookupActions(room: number): TxAction[] {
      const actions: TxAction[] = [];
      for (const [id, t] of seeds) {
        if (actions.length >= room) break;
        // A reply finds this thread from its own header fields already: a thread's first message needs no item.
        if (t === rootKey(id) || known.get(id) === t) continue;
        actions.push({ type: 'put', table: 'mail', item: { ...lookupKey(owner, id), t } });
      }
      return actions;
    },
  };
}

/** Room left in one commit transaction for lookup items, given its message items (META, log and usage take 3). */
export function lookupRoom(messageActions: number): number {
  return Math.max(0, KV_LIMITS.maxTransactActions - 3 - messageActions);
}
