// Walks the selected mailbox's view in batches of 100 and yields what `pick` makes of each message that matches a
// SEARCH key. Shared by SEARCH, SORT and THREAD (RFC 5256 §3: their criteria are SEARCH's): cold items are read
// (`message.meta`, cached per session) only when the key or the caller needs them.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { SearchKey } from '../command.js';
import { no } from '../response-codes.js';
import type { MessageIndex } from '../../mime/types.js';
import { matches, needsIndex, needsIndexBeyondText, textKeysOf, usesEmailId } from './search-evaluator.js';
import type { SealedMatches, SearchScope, SearchSubject, TextKeyNode } from './search-evaluator.js';
import type { TextKey } from '../../mime/search-match.js';
import type { MailboxView } from './mailbox-view.js';

const BATCH = 100;
/** Text in the cold items is UTF-8, and US-ASCII is a subset of it (RFC 3501 §6.4.4, RFC 5256 §3 require both). */
const CHARSETS = ['UTF-8', 'US-ASCII'];

/** SEARCH, SORT and THREAD answer NO [BADCHARSET (UTF-8 US-ASCII)] for any other charset (RFC 3501 §7.1). */
export function checkCharset(charset: string): void {
  if (!CHARSETS.includes(charset)) throw no({ code: 'BADCHARSET', charsets: CHARSETS }, 'Unsupported charset');
}

/** Reads cold items by emailId (session/meta-cache.ts). */
export interface MetaLoader {
  load(ids: readonly string[]): Promise<Map<string, MessageIndex>>;
  /** Text keys matched by the store on the mailbox's search segments: per key the UIDs ≤ upTo that match. */
  searchText?(mailboxId: string, keys: TextKey[]): Promise<{ upTo: number; uids: number[][] }>;
}

/** At most this many distinct text keys go to the store in one SEARCH (the request's limit); more: cold items. */
const MAX_SEALED_KEYS = 64;

/**
 * Asks the store to match the text keys on its sealed segments when nothing else needs the cold items: then only
 * the unsealed messages (UID > upTo) are read one by one (storage-design risk E4).
 */
async function sealedMatches(key: SearchKey, meta: MetaLoader, view: MailboxView): Promise<SealedMatches | undefined> {
  const nodes = textKeysOf(key);
  if (nodes.length === 0 || nodes.length > MAX_SEALED_KEYS || !meta.searchText || needsIndexBeyondText(key)) return undefined;
  const keys: TextKey[] = nodes.map((n) => (n.kind === 'header' ? { kind: 'header', field: n.field, value: n.value } : { kind: n.kind, value: n.value }));
  const { upTo, uids } = await meta.searchText(view.mailboxId, keys);
  const hits = new Map<TextKeyNode, ReadonlySet<number>>();
  nodes.forEach((n, i) => hits.set(n, new Set(uids[i])));
  return { upTo, hits };
}

/**
 * `pick` of every message of `view` matching `key`, in sequence order. `withIndex` forces the cold items to be
 * loaded (SORT by header fields, THREAD) even when the key alone would not need them.
 */
export async function scanView<T>(
  key: SearchKey,
  meta: MetaLoader | undefined,
  view: MailboxView,
  pick: (m: SearchSubject) => T,
  withIndex = false,
): Promise<T[]> {
  const scope: SearchScope = {
    count: view.count,
    maxUid: view.count > 0 ? view.uidAt(view.count - 1) : 0,
    now: Date.now(),
    saved: new Set(view.savedUids),
  };
  const loadIndex = withIndex || needsIndex(key);
  if (loadIndex && !withIndex && meta && view.count > 0) scope.sealed = await sealedMatches(key, meta, view);
  const sealedUpTo = scope.sealed?.upTo ?? 0;
  // UIDs ascend (I1): the messages the store answered for are a prefix of the view, and only the rest (the unsealed
  // tail) needs a cold item, hence an emailId. A packed emailId is decoded on each read (a ULID's 26 characters):
  // for a large mailbox, decoding every one for each text SEARCH cost more than matching the tail.
  const tailStart = sealedUpTo > 0 ? firstAbove(view, sealedUpTo) : 0;
  const allEmailIds = usesEmailId(key);
  const found: T[] = [];
  for (let start = 0; start < view.count; start += BATCH) {
    const end = Math.min(view.count, start + BATCH);
    let indexes: Map<string, MessageIndex> | undefined;
    // The embedded store answers without giving the event loop a turn; matching the text of a long unsealed tail in
    // one stretch held every other connection for tens of ms (bench/event-loop-stalls.ts). One turn per batch.
    if (start > tailStart && loadIndex) await nextTurn();
    if (loadIndex && meta && end > tailStart) {
      const ids: string[] = [];
      for (let i = Math.max(start, tailStart); i < end; i++) ids.push(view.emailIdAt(i));
      if (ids.length > 0) indexes = await meta.load(ids);
    }
    for (let i = start; i < end; i++) {
      const emailId = allEmailIds || (loadIndex && i >= tailStart) ? view.emailIdAt(i) : undefined;
      const subject: SearchSubject = {
        seq: i + 1,
        uid: view.uidAt(i),
        bits: view.bitsAt(i),
        keywords: view.keywordsAt(i),
        recent: view.isRecent(i),
        size: view.sizeAt(i),
        date: view.dateAt(i),
        modseq: view.modseqAt(i),
        index: indexes && emailId !== undefined ? indexes.get(emailId) : undefined,
        saveDate: view.saveDateAt(i),
        emailId,
      };
      if (matches(key, subject, scope)) found.push(pick(subject));
    }
  }
  return found;
}

/** The index of the first message of `view` whose UID is above `uid` (view.count when none). */
function firstAbove(view: MailboxView, uid: number): number {
  let lo = 0;
  let hi = view.count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (view.uidAt(mid) > uid) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A MODSEQ key asks for the highest MODSEQ of the answer (RFC 7162 §3.1.5 SEARCH, §3.1.9 SORT). */
export function usesModseq(key: SearchKey): boolean {
  switch (key.kind) {
    case 'modseq':
      return true;
    case 'and':
      return key.keys.some(usesModseq);
    case 'or':
      return usesModseq(key.left) || usesModseq(key.right);
    case 'not':
      return usesModseq(key.key);
    default:
      return false;
  }
}
